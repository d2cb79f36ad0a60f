using System.Globalization;
using System.Text;
using LowRankTrainer.Data;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// BERT's WordPiece tokenizer (Devlin et al. 2019; the WordPiece model of Wu et al. 2016, "Google's Neural Machine
/// Translation System"), read from a BERT <c>vocab.txt</c> (<see cref="FromVocabFile"/>) or a Hugging Face
/// <c>tokenizer.json</c> (<see cref="HfWordPieceJson"/>), encoding exactly as Hugging Face's Rust
/// <c>tokenizers</c> does — the tests compare its ids with HF's on thousands of lines.
/// </summary>
/// <remarks>
/// <para>Encoding: added tokens (<see cref="WordPieceOptions.AddedTokens"/>) are found in the raw text first
/// (<see cref="AddedTokenSplitter"/>); each stretch between them is normalised (<see cref="BertNormalizer"/>), split
/// into words (<see cref="BertPreTokenizer"/>), and each word is split greedily, longest match first, into
/// vocabulary pieces, every piece after the first carrying the continuing prefix (<c>##</c>). A word longer than
/// <see cref="WordPieceOptions.MaxInputCharsPerWord"/> code points, or one with a part no piece matches, becomes the
/// unknown token as a whole. Results are cached per word.</para>
/// <para>Decoding follows HF's WordPiece decoder (<see cref="WordPieceDecoder"/>); it cannot restore case, accents
/// or spacing, so <c>Decode(Encode(x))</c> is x only up to normalisation. Unlike HF, which skips unknown ids, it
/// throws on an id outside the vocabulary.</para>
/// <para>Thread-safe: the vocabulary is read-only, the word cache is guarded by a lock and the working buffers are per thread.</para>
/// </remarks>
public sealed class WordPieceTokenizer : ITextTokenizer
{
    private const int MaxCacheEntries = 1 << 20;

    [ThreadStatic]
    private static Workspace? t_workspace;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabLookup;
    private readonly string?[] _tokens;
    private readonly Dictionary<int, AddedToken> _addedById = [];
    private readonly AddedTokenSplitter _splitter;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly Lock _cacheLock = new();
    private readonly int[] _before;
    private readonly int[] _after;
    private readonly int _unkId;

    /// <summary>Creates a tokenizer from a vocabulary (token → id) and options.</summary>
    /// <exception cref="ArgumentException">Two tokens share an id, an id is negative, the unknown token is not in the
    /// vocabulary, an added token is empty or clashes with the vocabulary, a special id is unknown, or the word-length limit is not positive.</exception>
    public WordPieceTokenizer(IReadOnlyDictionary<string, int> vocab, WordPieceOptions options)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        _vocabLookup = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (options.MaxInputCharsPerWord <= 0) throw new ArgumentException($"MaxInputCharsPerWord must be positive, got {options.MaxInputCharsPerWord}", nameof(options));
        ArgumentNullException.ThrowIfNull(options.ContinuingSubwordPrefix);
        ArgumentNullException.ThrowIfNull(options.DecoderPrefix);
        if (!_vocab.TryGetValue(options.UnkToken ?? "", out _unkId))
        {
            throw new ArgumentException($"the unknown token '{options.UnkToken}' is not in the vocabulary", nameof(options));
        }
        var max = -1;
        foreach (var (token, id) in _vocab)
        {
            if (id < 0) throw new ArgumentException($"token '{token}' has a negative id {id}", nameof(vocab));
            max = Math.Max(max, id);
        }
        foreach (var token in options.AddedTokens)
        {
            ArgumentNullException.ThrowIfNull(token);
            if (string.IsNullOrEmpty(token.Content)) throw new ArgumentException($"added token {token.Id} is empty", nameof(options));
            if (token.Id < 0) throw new ArgumentException($"added token '{token.Content}' has a negative id {token.Id}", nameof(options));
            if (_vocab.TryGetValue(token.Content, out var existing) && existing != token.Id)
            {
                throw new ArgumentException($"added token '{token.Content}' has the id {token.Id} but the vocabulary gives it {existing}", nameof(options));
            }
            if (!_addedById.TryAdd(token.Id, token) && _addedById[token.Id].Content != token.Content)
            {
                throw new ArgumentException($"added tokens '{_addedById[token.Id].Content}' and '{token.Content}' share the id {token.Id}", nameof(options));
            }
            max = Math.Max(max, token.Id);
        }
        _tokens = new string?[max + 1];
        foreach (var (token, id) in _vocab)
        {
            if (_tokens[id] is { } other) throw new ArgumentException($"tokens '{other}' and '{token}' share the id {id}", nameof(vocab));
            _tokens[id] = token;
        }
        foreach (var (id, token) in _addedById)
        {
            if (_tokens[id] is { } other && other != token.Content)
            {
                throw new ArgumentException($"added token '{token.Content}' has the id {id} of the vocabulary's '{other}'", nameof(options));
            }
            _tokens[id] = token.Content;
        }
        _splitter = new AddedTokenSplitter(options.AddedTokens);
        _before = [.. options.SpecialIdsBefore];
        _after = [.. options.SpecialIdsAfter];
        foreach (var id in _before.Concat(_after))
        {
            if (IdToToken(id) is null) throw new ArgumentException($"the special id {id} is not in the vocabulary", nameof(options));
        }
        if (options.PadTokenId is { } pad && IdToToken(pad) is null) throw new ArgumentException($"the padding id {pad} is not in the vocabulary", nameof(options));
    }

    /// <summary>The options the tokenizer was built with.</summary>
    public WordPieceOptions Options { get; }

    /// <summary>One more than the largest id (vocabulary and added tokens).</summary>
    public int VocabularySize => _tokens.Length;

    /// <summary>The padding id (BERT: [PAD]), or null.</summary>
    public int? PadTokenId => Options.PadTokenId;

    /// <summary>How many ids the post-processor adds (BERT: 2).</summary>
    public int SpecialTokenCount => _before.Length + _after.Length;

    /// <summary>The added tokens, matched verbatim before normalisation.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => Options.AddedTokens;

    /// <summary><paramref name="ids"/> with the post-processor's special tokens around it (BERT: [CLS] ids [SEP]).</summary>
    public int[] AddSpecialTokens(int[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return [.. _before, .. ids, .. _after];
    }

    /// <summary>The id of <paramref name="token"/> (vocabulary or added token), or -1.</summary>
    public int TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_vocab.TryGetValue(token, out var id)) return id;
        foreach (var added in Options.AddedTokens)
        {
            if (added.Content == token) return added.Id;
        }
        return -1;
    }

    /// <summary>The token of <paramref name="id"/>, or null when there is none.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _tokens.Length ? _tokens[id] : null;

    /// <summary>
    /// Reads a BERT <c>vocab.txt</c> (one token per line, the id being the line's index; trailing whitespace is
    /// trimmed and a token listed twice keeps its last line, as HF's <c>WordPiece::read_file</c> does) and builds what
    /// Hugging Face's <c>BertTokenizerFast</c> builds from it: <see cref="BertNormalizer"/> with
    /// <paramref name="lowercase"/>, the BERT special tokens present ([PAD], [UNK], [CLS], [SEP], [MASK]) as added
    /// tokens, [CLS] … [SEP] around a sequence, [PAD] as padding.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file lacks [UNK], [CLS] or [SEP]; the message names the file.</exception>
    public static WordPieceTokenizer FromVocabFile(string path, bool lowercase = true, bool? stripAccents = null, bool handleChineseChars = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        var vocab = ReadVocabFile(path);
        foreach (var required in new[] { "[UNK]", "[CLS]", "[SEP]" })
        {
            if (!vocab.ContainsKey(required)) throw new DataFormatException(path, $"the BERT special token {required} is not in the vocabulary");
        }
        var added = new List<AddedToken>();
        foreach (var special in new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" })
        {
            if (vocab.TryGetValue(special, out var id)) added.Add(new AddedToken(id, special, Special: true));
        }
        var options = new WordPieceOptions
        {
            Normalizer = new BertNormalizer(cleanText: true, handleChineseChars, stripAccents, lowercase),
            AddedTokens = added,
            SpecialIdsBefore = [vocab["[CLS]"]],
            SpecialIdsAfter = [vocab["[SEP]"]],
            PadTokenId = vocab.TryGetValue("[PAD]", out var pad) ? pad : null,
        };
        return new WordPieceTokenizer(vocab, options);
    }

    /// <summary>Reads a <c>vocab.txt</c> into token → id as HF does (see <see cref="FromVocabFile"/>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, int> ReadVocabFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"WordPiece vocabulary file not found: {path}", path);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        // Rust's BufRead::lines splits on \n and drops one trailing \r; trim_end then drops trailing White_Space.
        foreach (var line in File.ReadLines(path, new UTF8Encoding(false, throwOnInvalidBytes: true)))
        {
            var end = line.Length;
            while (end > 0 && BertUnicode.IsWhitespace(line[end - 1])) end--;
            vocab[line[..end]] = index++;
        }
        return vocab;
    }

    /// <summary>The ids of <paramref name="text"/> without special tokens.</summary>
    public int[] Encode(string text) => PrefixEncoder.Encode(text, int.MaxValue, 4, EncodeInto);

    /// <inheritdoc/>
    public int[] Encode(string text, int maxTokens) => PrefixEncoder.Encode(text, maxTokens, 4, EncodeInto);

    /// <summary>Appends the ids of <paramref name="text"/> (without special tokens) to <paramref name="ids"/>.</summary>
    public void EncodeInto(string text, List<int> ids) => EncodeInto(text, ids, int.MaxValue);

    // Stops once ids holds at least `limit` entries (the last word may overshoot; callers trim).
    private void EncodeInto(string text, List<int> ids, int limit)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ids);
        var work = t_workspace ??= new Workspace();
        if (_splitter.IsEmpty)
        {
            EncodeText(text, ids, work, limit);
            return;
        }
        // The splitter's list is reused by a nested call only if EncodeText re-entered Encode, which it does not.
        var pieces = work.Pieces;
        pieces.Clear();
        _splitter.Split(text, pieces);
        foreach (var (start, length, token) in pieces)
        {
            if (ids.Count >= limit) break;
            if (token is not null) ids.Add(token.Id);
            else EncodeText(text.AsSpan(start, length), ids, work, limit);
        }
    }

    private void EncodeText(ReadOnlySpan<char> text, List<int> ids, Workspace work, int limit)
    {
        var normalized = work.Normalized;
        normalized.Clear();
        if (Options.Normalizer is { } normalizer) normalizer.Normalize(text, normalized, work.Scratch);
        else normalized.Append(text);
        var words = work.Words;
        words.Clear();
        BertPreTokenizer.Split(normalized.Span, words);
        foreach (var (start, length) in words)
        {
            if (ids.Count >= limit) break;
            EncodeWord(normalized.Span.Slice(start, length), ids, work);
        }
    }

    private void EncodeWord(ReadOnlySpan<char> word, List<int> ids, Workspace work)
    {
        int[]? cached;
        lock (_cacheLock)
        {
            _cacheLookup.TryGetValue(word, out cached);
        }
        if (cached is null)
        {
            cached = SplitWord(word, work);
            lock (_cacheLock)
            {
                if (_cache.Count >= MaxCacheEntries) _cache.Clear();
                _cacheLookup.TryAdd(word, cached);
            }
        }
        ids.AddRange(cached);
    }

    // Greedy longest-match-first (BERT's WordpieceTokenizer.tokenize; HF's WordPiece::tokenize): from each start,
    // the longest vocabulary piece, shrinking one code point at a time; any dead end makes the whole word unknown.
    private int[] SplitWord(ReadOnlySpan<char> word, Workspace work)
    {
        var codePoints = word.Length;
        for (var k = 1; k < word.Length; k++)
        {
            if (char.IsLowSurrogate(word[k]) && char.IsHighSurrogate(word[k - 1])) codePoints--;
        }
        if (codePoints > Options.MaxInputCharsPerWord) return [_unkId];
        var prefix = Options.ContinuingSubwordPrefix;
        var key = work.Key;
        var pieces = new List<int>(4);
        var start = 0;
        while (start < word.Length)
        {
            // The key buffer holds prefix + the rest of the word; each candidate is a prefix of it.
            key.Clear();
            var offset = 0;
            if (start > 0)
            {
                key.Append(prefix);
                offset = prefix.Length;
            }
            key.Append(word[start..]);
            var end = word.Length;
            var found = -1;
            while (start < end)
            {
                if (_vocabLookup.TryGetValue(key.Span[..(offset + end - start)], out var id))
                {
                    found = id;
                    break;
                }
                end -= end - start >= 2 && char.IsLowSurrogate(word[end - 1]) && char.IsHighSurrogate(word[end - 2]) ? 2 : 1;
            }
            if (found < 0) return [_unkId];
            pieces.Add(found);
            start = end;
        }
        return [.. pieces];
    }

    /// <summary>The text of <paramref name="ids"/> by HF's WordPiece decoder, special tokens included.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids) => Decode(ids, skipSpecialTokens: false);

    /// <summary>The text of <paramref name="ids"/> by HF's WordPiece decoder; with <paramref name="skipSpecialTokens"/>,
    /// added tokens marked special are left out first (HF's <c>skip_special_tokens</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var tokens = new List<string>(ids.Length);
        foreach (var id in ids)
        {
            var token = IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), id, "not a token id of this vocabulary");
            if (skipSpecialTokens && _addedById.TryGetValue(id, out var added) && added.Special) continue;
            tokens.Add(token);
        }
        return WordPieceDecoder.Decode(tokens, Options.DecoderPrefix, Options.DecoderCleanup);
    }

    /// <summary>Encodes a batch (see <see cref="BatchEncoder"/>), by default with [CLS]/[SEP] and [PAD] padding.</summary>
    /// <exception cref="ArgumentException">As <see cref="BatchEncoder.Encode"/>; or padding is asked for without a padding id.</exception>
    public BatchEncoding EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null,
        PaddingStrategy padding = PaddingStrategy.Longest, bool truncation = false, bool addSpecialTokens = true)
    {
        if (padding != PaddingStrategy.None && PadTokenId is null) throw new ArgumentException("the tokenizer has no padding id; pass PaddingStrategy.None or use BatchEncoder with an explicit id", nameof(padding));
        return BatchEncoder.Encode(this, texts, maxLength, padding, truncation, PadTokenId ?? 0, addSpecialTokens);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"WordPieceTokenizer({_vocab.Count} tokens, {Options.AddedTokens.Count} added, lowercase {Options.Normalizer?.Lowercase ?? false})");

    private sealed class Workspace
    {
        public CharBuffer Normalized { get; } = new(1024);
        public CharBuffer Scratch { get; } = new(8);
        public CharBuffer Key { get; } = new(128);
        public List<(int Start, int Length)> Words { get; } = [];
        public List<(int Start, int Length, AddedToken? Token)> Pieces { get; } = [];
    }
}
