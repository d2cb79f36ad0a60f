using System.Text;
using System.Text.Json;
using LowRankTrainer.Data;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// GPT-2's byte-level BPE tokenizer (Radford et al. 2019, "Language Models are Unsupervised Multitask
/// Learners"; OpenAI's <c>gpt-2/src/encoder.py</c>), read from the GPT-2 files: <c>encoder.json</c>
/// (Hugging Face: <c>vocab.json</c>), a JSON object from token to id, and <c>vocab.bpe</c>
/// (<c>merges.txt</c>), the ranked merges. Its ids are those of the JavaScript reference encoder in the
/// npm package <c>gpt-3-encoder</c>, which the tests check on a corpus of several thousand lines.
/// </summary>
/// <remarks>
/// <para>Encoding: <see cref="Gpt2PreTokenizer"/> splits the text into pieces; each piece is UTF-8
/// encoded, each byte replaced by its <see cref="ByteUnicodeMap"/> character, the result merged by
/// <see cref="BpeMergeRanks.Apply"/>, and each resulting symbol looked up in the vocabulary. Results
/// are cached per piece. Decoding concatenates the tokens' strings, maps each character back to its
/// byte and decodes the bytes as UTF-8 (an invalid sequence, such as a multi-byte character cut in two,
/// becomes U+FFFD, as with JavaScript's <c>TextDecoder</c>). For any string without lone surrogates,
/// <c>Decode(Encode(x)) == x</c>.</para>
/// <para>Added tokens (<see cref="AddedToken"/>, such as <c>&lt;|endoftext|&gt;</c> from a Hugging Face
/// <c>tokenizer.json</c>) are found first, leftmost and, among those starting at one position, longest;
/// each becomes its id, and the text between them is encoded as above. With <c>addPrefixSpace</c>
/// (Hugging Face's ByteLevel <c>add_prefix_space</c>) each such stretch of text that does not start with
/// U+0020 gets one prepended before it is split. <see cref="FromTokenizerJson"/> reads such files.</para>
/// <para>Thread-safe: the vocabulary is read-only and the piece cache is guarded by a lock.</para>
/// </remarks>
public sealed class GptBpeTokenizer : ITextTokenizer
{
    private const int MaxCacheEntries = 1 << 20;

    private readonly Dictionary<string, int> _encoder;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _encoderLookup;
    private readonly string?[] _decoder;
    private readonly BpeMergeRanks _merges;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly Lock _cacheLock = new();
    private readonly AddedToken[] _added;
    private readonly Dictionary<int, string> _addedContent = [];
    private readonly HashSet<char> _addedFirstChars = [];
    private readonly bool _addPrefixSpace;

    /// <summary>Creates a tokenizer from a vocabulary (token → id) and merge ranks.</summary>
    /// <exception cref="ArgumentException">Two tokens share an id, or an id is negative.</exception>
    public GptBpeTokenizer(IReadOnlyDictionary<string, int> encoder, BpeMergeRanks merges)
        : this(encoder, merges, [], addPrefixSpace: false)
    {
    }

    /// <summary>
    /// Creates a tokenizer from a vocabulary (token → id), merge ranks, tokens matched verbatim before
    /// pre-tokenization, and whether a space is prepended to text that does not start with one.
    /// </summary>
    /// <exception cref="ArgumentException">Two tokens share an id, an id is negative, an added token is
    /// empty, or an added token's content is in the vocabulary under another id.</exception>
    public GptBpeTokenizer(IReadOnlyDictionary<string, int> encoder, BpeMergeRanks merges,
        IReadOnlyList<AddedToken> addedTokens, bool addPrefixSpace)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(merges);
        ArgumentNullException.ThrowIfNull(addedTokens);
        _encoder = new Dictionary<string, int>(encoder, StringComparer.Ordinal);
        foreach (var token in addedTokens)
        {
            ArgumentNullException.ThrowIfNull(token);
            if (string.IsNullOrEmpty(token.Content)) throw new ArgumentException($"added token {token.Id} is empty", nameof(addedTokens));
            if (_encoder.TryGetValue(token.Content, out var existing) && existing != token.Id)
            {
                throw new ArgumentException($"added token '{token.Content}' has the id {token.Id} but the vocabulary gives it {existing}", nameof(addedTokens));
            }
            _encoder[token.Content] = token.Id;
            if (!_addedContent.TryAdd(token.Id, token.Content) && _addedContent[token.Id] != token.Content)
            {
                throw new ArgumentException($"added tokens '{_addedContent[token.Id]}' and '{token.Content}' share the id {token.Id}", nameof(addedTokens));
            }
            _addedFirstChars.Add(token.Content[0]);
        }
        // Longest first, so that the first match at a position is the longest there.
        _added = [.. addedTokens.DistinctBy(t => t.Content).OrderByDescending(t => t.Content.Length).ThenBy(t => t.Content, StringComparer.Ordinal)];
        _addPrefixSpace = addPrefixSpace;
        encoder = _encoder;
        _encoderLookup = _encoder.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        var max = encoder.Count == 0 ? -1 : encoder.Values.Max();
        _decoder = new string?[max + 1];
        foreach (var (token, id) in encoder)
        {
            if (id < 0) throw new ArgumentException($"token '{token}' has a negative id {id}", nameof(encoder));
            if (_decoder[id] is { } other) throw new ArgumentException($"tokens '{other}' and '{token}' share the id {id}", nameof(encoder));
            _decoder[id] = token;
        }
    }

    /// <summary>The number of tokens in the vocabulary (50257 for GPT-2).</summary>
    public int VocabularySize => _encoder.Count;

    /// <summary>Null: GPT-2 defines no padding token (HF pads GPT-2 with <c>&lt;|endoftext|&gt;</c> by the user's choice).</summary>
    public int? PadTokenId => null;

    /// <summary>0: GPT-2's post-processor adds no tokens.</summary>
    public int SpecialTokenCount => 0;

    /// <summary>A copy of <paramref name="ids"/>: GPT-2 wraps a sequence in nothing.</summary>
    public int[] AddSpecialTokens(int[] ids) => [.. ids];

    /// <summary>The merge ranks.</summary>
    public BpeMergeRanks Merges => _merges;

    /// <summary>The tokens matched verbatim before pre-tokenization, longest first.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _added;

    /// <summary>Whether text that does not start with a space gets one prepended (Hugging Face's <c>add_prefix_space</c>).</summary>
    public bool AddPrefixSpace => _addPrefixSpace;

    /// <summary>
    /// Reads a Hugging Face <c>tokenizer.json</c> holding a byte-level BPE tokenizer (GPT-2's layout);
    /// see <see cref="HfTokenizerJson"/> for what it accepts.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed or asks for something unsupported; the
    /// message names the file and the JSON path.</exception>
    public static GptBpeTokenizer FromTokenizerJson(string path) => HfTokenizerJson.Load(path);

    /// <summary>
    /// Reads GPT-2's <c>encoder.json</c> (or <c>vocab.json</c>) and <c>vocab.bpe</c> (or <c>merges.txt</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="DataFormatException">A file is malformed; the message names the file (and the line).</exception>
    public static GptBpeTokenizer FromFiles(string encoderJson, string vocabBpe)
    {
        ArgumentNullException.ThrowIfNull(encoderJson);
        ArgumentNullException.ThrowIfNull(vocabBpe);
        var encoder = ReadEncoderJson(encoderJson);
        var merges = BpeMergeRanks.FromFile(vocabBpe);
        try
        {
            return new GptBpeTokenizer(encoder, merges);
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(encoderJson, e.Message, innerException: e);
        }
    }

    /// <summary>Reads a JSON object whose members are tokens and whose values are non-negative integer ids.</summary>
    /// <exception cref="DataFormatException">The file is not such an object, or a token appears twice.</exception>
    public static Dictionary<string, int> ReadEncoderJson(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"BPE vocabulary file not found: {path}", path);
        var bytes = File.ReadAllBytes(path);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Error(path, reader, "expected a JSON object mapping tokens to ids");
            }
            while (true)
            {
                if (!reader.Read()) throw Error(path, reader, "the JSON object is not closed");
                if (reader.TokenType == JsonTokenType.EndObject) break;
                var token = reader.GetString()!;
                if (!reader.Read()) throw Error(path, reader, "the JSON object is not closed");
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id) || id < 0)
                {
                    throw Error(path, reader, $"the id of token '{token}' is not a non-negative integer");
                }
                if (!result.TryAdd(token, id)) throw Error(path, reader, $"token '{token}' appears twice");
            }
            if (reader.Read()) throw Error(path, reader, "unexpected content after the JSON object");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"invalid JSON: {e.Message}", (e.LineNumber ?? 0) + 1, innerException: e);
        }
        return result;
    }

    private static DataFormatException Error(string path, Utf8JsonReader reader, string problem) =>
        new(path, $"{problem} (at byte {reader.TokenStartIndex})");

    /// <summary>The id of <paramref name="token"/> (a string of <see cref="ByteUnicodeMap"/> characters), or -1.</summary>
    public int TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _encoder.TryGetValue(token, out var id) ? id : -1;
    }

    /// <summary>The token string of <paramref name="id"/>, or null when the vocabulary has no such id.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _decoder.Length ? _decoder[id] : null;

    /// <summary>The token ids of <paramref name="text"/>.</summary>
    public int[] Encode(string text) => PrefixEncoder.Encode(text, int.MaxValue, 3, EncodeInto);

    /// <inheritdoc/>
    public int[] Encode(string text, int maxTokens) => PrefixEncoder.Encode(text, maxTokens, 3, EncodeInto);

    /// <summary>Appends the token ids of <paramref name="text"/> to <paramref name="ids"/>.</summary>
    public void EncodeInto(string text, List<int> ids) => EncodeInto(text, ids, int.MaxValue);

    // Stops once ids holds at least `limit` entries (the last piece may overshoot; callers trim).
    private void EncodeInto(string text, List<int> ids, int limit)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ids);
        if (_added.Length == 0)
        {
            EncodeText(text, ids, limit);
            return;
        }
        var start = 0;
        var i = 0;
        while (i < text.Length && ids.Count < limit)
        {
            var match = _addedFirstChars.Contains(text[i]) ? MatchAdded(text, i) : null;
            if (match is null)
            {
                i++;
                continue;
            }
            if (i > start) EncodeText(text[start..i], ids, limit);
            ids.Add(match.Id);
            i += match.Content.Length;
            start = i;
        }
        if (start < text.Length && ids.Count < limit) EncodeText(start == 0 ? text : text[start..], ids, limit);
    }

    private AddedToken? MatchAdded(string text, int i)
    {
        foreach (var token in _added)
        {
            if (text.AsSpan(i).StartsWith(token.Content, StringComparison.Ordinal))
            {
                return token;
            }
        }
        return null;
    }

    // Text without added tokens: the optional prefix space, then pre-tokenization and BPE piece by piece.
    private void EncodeText(string text, List<int> ids, int limit)
    {
        if (_addPrefixSpace && text.Length > 0 && text[0] != ' ') text = " " + text;
        var bytes = new byte[64];
        var chars = new char[64];
        var i = 0;
        while (i < text.Length && ids.Count < limit)
        {
            var length = Gpt2PreTokenizer.MatchLength(text, i);
            var piece = text.AsSpan(i, length);
            i += length;
            var byteCount = Encoding.UTF8.GetMaxByteCount(piece.Length);
            if (byteCount > bytes.Length)
            {
                bytes = new byte[byteCount];
                chars = new char[byteCount];
            }
            var n = Encoding.UTF8.GetBytes(piece, bytes);
            for (var k = 0; k < n; k++) chars[k] = ByteUnicodeMap.ByteToChar(bytes[k]);
            var word = chars.AsSpan(0, n);
            int[]? pieceIds;
            lock (_cacheLock)
            {
                _cacheLookup.TryGetValue(word, out pieceIds);
            }
            if (pieceIds is null)
            {
                pieceIds = EncodeWord(word);
                lock (_cacheLock)
                {
                    if (_cache.Count >= MaxCacheEntries) _cache.Clear();
                    _cacheLookup.TryAdd(word, pieceIds);
                }
            }
            ids.AddRange(pieceIds);
        }
    }

    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        var symbols = _merges.Apply(word);
        var ids = new int[symbols.Count];
        for (var k = 0; k < symbols.Count; k++)
        {
            if (!_encoderLookup.TryGetValue(symbols[k], out ids[k]))
            {
                throw new InvalidOperationException(
                    $"the BPE merges produced the symbol '{symbols[k]}', which is not in the vocabulary: the vocabulary and merges files do not belong together");
            }
        }
        return ids;
    }

    /// <summary>The text of <paramref name="ids"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids) AppendBytes(id, bytes);
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The text of <paramref name="ids"/> (int64 ids, as in a batch or a tensor).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<long> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids)
        {
            if (id is < 0 or > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(ids), id, "not a token id of this vocabulary");
            AppendBytes((int)id, bytes);
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    private void AppendBytes(int id, List<byte> bytes)
    {
        if (_addedContent.Count > 0 && _addedContent.TryGetValue(id, out var content))
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(content));
            return;
        }
        var token = IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(id), id, "not a token id of this vocabulary");
        foreach (var c in token)
        {
            var b = ByteUnicodeMap.CharToByte(c);
            if (b < 0) throw new InvalidOperationException($"token {id} '{token}' holds the character U+{(int)c:X4}, which stands for no byte");
            bytes.Add((byte)b);
        }
    }

    /// <summary>
    /// Encodes a batch with Hugging Face's semantics: each text is encoded; with
    /// <paramref name="truncation"/>, rows longer than <paramref name="maxLength"/> keep their first
    /// <paramref name="maxLength"/> tokens; rows are then padded on the right with
    /// <paramref name="padTokenId"/> as <paramref name="padding"/> says. The attention mask is 1 for real
    /// tokens and 0 for padding.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="maxLength"/> is missing but truncation or
    /// <see cref="PaddingStrategy.MaxLength"/> needs it, or it is not positive.</exception>
    public BatchEncoding EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null,
        PaddingStrategy padding = PaddingStrategy.Longest, bool truncation = false, long padTokenId = 0) =>
        BatchEncoder.Encode(this, texts, maxLength, padding, truncation, padTokenId);
}
