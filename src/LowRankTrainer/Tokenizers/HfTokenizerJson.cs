using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Data;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> that holds a byte-level BPE tokenizer (the layout of
/// GPT-2's) into a <see cref="GptBpeTokenizer"/>.
/// </summary>
/// <remarks>
/// <para>Accepted: <c>model</c> of type <c>BPE</c> with <c>vocab</c> (token → id) and <c>merges</c>,
/// either strings <c>"a b"</c> or pairs <c>["a", "b"]</c>, each symbol and their concatenation in the
/// vocabulary; <c>dropout</c> null, <c>continuing_subword_prefix</c>/<c>end_of_word_suffix</c> null or
/// empty, <c>byte_fallback</c> and <c>ignore_merges</c> false. <c>pre_tokenizer</c> either
/// <c>ByteLevel</c> with <c>use_regex</c> true (GPT-2's split) and <c>add_prefix_space</c> false or
/// true, or a <c>Sequence</c> of a <c>Split</c> on GPT-2's pattern (<c>Isolated</c>, not inverted)
/// followed by <c>ByteLevel</c> with <c>use_regex</c> and <c>add_prefix_space</c> false. <c>decoder</c> <c>ByteLevel</c>;
/// <c>post_processor</c> null or <c>ByteLevel</c> (it changes offsets only, never ids);
/// <c>normalizer</c>, <c>truncation</c> and <c>padding</c> null. <c>added_tokens</c> become
/// <see cref="AddedToken"/>s matched verbatim before pre-tokenization; those with <c>lstrip</c>,
/// <c>rstrip</c> or <c>single_word</c> true are refused. As there is no normalizer,
/// <c>normalized</c> changes nothing.</para>
/// <para>Anything else (another model, a normalizer, an unknown field) is refused with a
/// <see cref="DataFormatException"/> naming the file and the JSON path, rather than encoded differently
/// from Hugging Face. Merge ranks follow Hugging Face (<see cref="BpeMergeRanks.FromPairs"/>).</para>
/// </remarks>
public static class HfTokenizerJson
{
    /// <summary>GPT-2's split pattern, as a <c>Split</c> pre-tokenizer spells it.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Reads <paramref name="path"/>, which must hold a byte-level BPE tokenizer (see
    /// <see cref="LoadTokenizer"/> for any supported model).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed or unsupported; the message names the file and the JSON path.</exception>
    public static GptBpeTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var doc = Parse(path);
        return new Reader(path).Read(doc.RootElement);
    }

    /// <summary>
    /// Reads <paramref name="path"/> into the tokenizer its <c>model.type</c> names: <c>BPE</c> → <see cref="GptBpeTokenizer"/>
    /// (as <see cref="Load"/>), <c>WordPiece</c> → <see cref="WordPieceTokenizer"/> (as <see cref="HfWordPieceJson.Load"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed, or its model or a field is unsupported; the message names the file and the JSON path.</exception>
    public static ITextTokenizer LoadTokenizer(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var doc = Parse(path);
        var root = doc.RootElement;
        var fields = new HfJsonFields(path);
        fields.Expect(root, JsonValueKind.Object, "(root)", "an object");
        var model = fields.Required(root, "", "model");
        fields.Expect(model, JsonValueKind.Object, "model", "an object");
        return fields.TypeOf(model, "model") switch
        {
            "BPE" => new Reader(path).Read(root),
            "WordPiece" => HfWordPieceJson.Read(path, root),
            var other => throw fields.Fail("model.type", $"'{other}' is not supported (only BPE and WordPiece)"),
        };
    }

    /// <summary>Parses <paramref name="path"/> as JSON; the caller disposes the document.</summary>
    internal static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer.json not found: {path}", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"invalid JSON: {e.Message}", (e.LineNumber ?? 0) + 1, innerException: e);
        }
    }

    private sealed class Reader(string file) : HfJsonFields(file)
    {
        public GptBpeTokenizer Read(JsonElement root)
        {
            Expect(root, JsonValueKind.Object, "(root)", "an object");
            CheckFields(root, "", "version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model");
            foreach (var name in new[] { "truncation", "padding", "normalizer" })
            {
                if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                {
                    throw Fail(name, $"only null is supported, got {Describe(value)}");
                }
            }
            var addPrefixSpace = ReadPreTokenizer(root);
            ReadDecoder(root);
            ReadPostProcessor(root);
            var model = Required(root, "", "model");
            var (vocab, merges) = ReadModel(model);
            var added = ReadAddedTokens(root);
            try
            {
                return new GptBpeTokenizer(vocab, merges, added, addPrefixSpace);
            }
            catch (ArgumentException e)
            {
                throw new DataFormatException(FilePath, e.Message, innerException: e);
            }
        }

        private bool ReadPreTokenizer(JsonElement root)
        {
            var pre = Required(root, "", "pre_tokenizer");
            Expect(pre, JsonValueKind.Object, "pre_tokenizer", "an object");
            var type = TypeOf(pre, "pre_tokenizer");
            if (type == "ByteLevel") return ReadByteLevel(pre, "pre_tokenizer", useRegex: true);
            if (type != "Sequence") throw Fail("pre_tokenizer.type", $"'{type}' is not supported (only ByteLevel, or a Sequence of a GPT-2 Split and ByteLevel)");
            CheckFields(pre, "pre_tokenizer", "type", "pretokenizers");
            var list = Required(pre, "pre_tokenizer", "pretokenizers");
            Expect(list, JsonValueKind.Array, "pre_tokenizer.pretokenizers", "an array");
            if (list.GetArrayLength() != 2 || list[0].ValueKind != JsonValueKind.Object || list[1].ValueKind != JsonValueKind.Object
                || TypeOf(list[0], "pre_tokenizer.pretokenizers[0]") != "Split" || TypeOf(list[1], "pre_tokenizer.pretokenizers[1]") != "ByteLevel")
            {
                throw Fail("pre_tokenizer.pretokenizers", "only [Split on GPT-2's pattern, ByteLevel with use_regex false] is supported");
            }
            var split = list[0];
            const string at = "pre_tokenizer.pretokenizers[0]";
            CheckFields(split, at, "type", "pattern", "behavior", "invert");
            var pattern = Required(split, at, "pattern");
            Expect(pattern, JsonValueKind.Object, at + ".pattern", "an object");
            CheckFields(pattern, at + ".pattern", "Regex");
            var regex = Required(pattern, at + ".pattern", "Regex");
            if (regex.ValueKind != JsonValueKind.String || regex.GetString() != Gpt2Pattern)
            {
                throw Fail(at + ".pattern.Regex", $"only GPT-2's pattern {Gpt2Pattern} is supported, got {Describe(regex)}");
            }
            if (StringOf(split, at, "behavior") is var behavior && behavior != "Isolated")
            {
                throw Fail(at + ".behavior", $"only Isolated is supported, got '{behavior}'");
            }
            if (Bool(split, at, "invert", false)) throw Fail(at + ".invert", "only false is supported");
            // After a Split, Hugging Face's add_prefix_space would prefix every piece, not the text: refused.
            if (ReadByteLevel(list[1], "pre_tokenizer.pretokenizers[1]", useRegex: false))
            {
                throw Fail("pre_tokenizer.pretokenizers[1].add_prefix_space", "only false is supported after a Split (it would prefix every piece)");
            }
            return false;
        }

        // A ByteLevel pre-tokenizer: its add_prefix_space; use_regex must be as the caller says.
        private bool ReadByteLevel(JsonElement e, string at, bool useRegex)
        {
            CheckFields(e, at, "type", "add_prefix_space", "trim_offsets", "use_regex");
            if (Bool(e, at, "use_regex", true) != useRegex)
            {
                throw Fail(at + ".use_regex", useRegex
                    ? "only true (GPT-2's split) is supported here"
                    : "only false is supported after a Split (the text is already split)");
            }
            Bool(e, at, "trim_offsets", true);
            return Bool(e, at, "add_prefix_space", true);
        }

        private void ReadDecoder(JsonElement root)
        {
            var decoder = Required(root, "", "decoder");
            Expect(decoder, JsonValueKind.Object, "decoder", "an object");
            var type = TypeOf(decoder, "decoder");
            if (type != "ByteLevel") throw Fail("decoder.type", $"'{type}' is not supported (only ByteLevel)");
            CheckFields(decoder, "decoder", "type", "add_prefix_space", "trim_offsets", "use_regex");
        }

        private void ReadPostProcessor(JsonElement root)
        {
            if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind == JsonValueKind.Null) return;
            Expect(post, JsonValueKind.Object, "post_processor", "an object or null");
            var type = TypeOf(post, "post_processor");
            if (type != "ByteLevel") throw Fail("post_processor.type", $"'{type}' is not supported (only null or ByteLevel)");
            CheckFields(post, "post_processor", "type", "add_prefix_space", "trim_offsets", "use_regex");
        }

        private (Dictionary<string, int> Vocab, BpeMergeRanks Merges) ReadModel(JsonElement model)
        {
            Expect(model, JsonValueKind.Object, "model", "an object");
            var type = TypeOf(model, "model");
            if (type != "BPE") throw Fail("model.type", $"'{type}' is not supported (only BPE; HfTokenizerJson.LoadTokenizer reads WordPiece too)");
            CheckFields(model, "model", "type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
                "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges");
            if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind != JsonValueKind.Null)
            {
                throw Fail("model.dropout", $"only null is supported, got {Describe(dropout)}");
            }
            foreach (var name in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            {
                if (model.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null && !(v.ValueKind == JsonValueKind.String && v.GetString()!.Length == 0))
                {
                    throw Fail("model." + name, $"only null or \"\" is supported, got {Describe(v)}");
                }
            }
            if (model.TryGetProperty("unk_token", out var unk) && unk.ValueKind is not (JsonValueKind.Null or JsonValueKind.String))
            {
                throw Fail("model.unk_token", $"expected a string or null, got {Describe(unk)}");
            }
            Bool(model, "model", "fuse_unk", false);
            if (Bool(model, "model", "byte_fallback", false)) throw Fail("model.byte_fallback", "only false is supported");
            if (Bool(model, "model", "ignore_merges", false)) throw Fail("model.ignore_merges", "only false is supported");

            var vocabElement = Required(model, "model", "vocab");
            Expect(vocabElement, JsonValueKind.Object, "model.vocab", "an object mapping tokens to ids");
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var member in vocabElement.EnumerateObject())
            {
                if (member.Value.ValueKind != JsonValueKind.Number || !member.Value.TryGetInt32(out var id) || id < 0)
                {
                    throw Fail($"model.vocab[{JsonSerializer.Serialize(member.Name)}]", $"expected a non-negative integer id, got {Describe(member.Value)}");
                }
                if (!vocab.TryAdd(member.Name, id)) throw Fail("model.vocab", $"token {JsonSerializer.Serialize(member.Name)} appears twice");
            }

            var mergesElement = Required(model, "model", "merges");
            Expect(mergesElement, JsonValueKind.Array, "model.merges", "an array");
            var pairs = new List<(string, string)>(mergesElement.GetArrayLength());
            var index = 0;
            foreach (var merge in mergesElement.EnumerateArray())
            {
                var at = string.Create(CultureInfo.InvariantCulture, $"model.merges[{index}]");
                string first, second;
                if (merge.ValueKind == JsonValueKind.String)
                {
                    var parts = merge.GetString()!.Split(' ');
                    if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                    {
                        throw Fail(at, $"expected two symbols separated by one space, got {Describe(merge)}");
                    }
                    (first, second) = (parts[0], parts[1]);
                }
                else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                         && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String
                         && merge[0].GetString()!.Length > 0 && merge[1].GetString()!.Length > 0)
                {
                    (first, second) = (merge[0].GetString()!, merge[1].GetString()!);
                }
                else
                {
                    throw Fail(at, $"expected \"a b\" or [\"a\", \"b\"] (non-empty symbols), got {Describe(merge)}");
                }
                foreach (var symbol in new[] { first, second, first + second })
                {
                    if (!vocab.ContainsKey(symbol)) throw Fail(at, $"the symbol {JsonSerializer.Serialize(symbol)} is not in model.vocab");
                }
                pairs.Add((first, second));
                index++;
            }
            try
            {
                return (vocab, BpeMergeRanks.FromPairs(pairs));
            }
            catch (ArgumentException e)
            {
                throw new DataFormatException(FilePath, "model.merges: " + e.Message, innerException: e);
            }
        }

        private List<AddedToken> ReadAddedTokens(JsonElement root)
        {
            var result = new List<AddedToken>();
            if (!root.TryGetProperty("added_tokens", out var list) || list.ValueKind == JsonValueKind.Null) return result;
            Expect(list, JsonValueKind.Array, "added_tokens", "an array");
            var index = 0;
            foreach (var token in list.EnumerateArray())
            {
                var at = string.Create(CultureInfo.InvariantCulture, $"added_tokens[{index++}]");
                Expect(token, JsonValueKind.Object, at, "an object");
                CheckFields(token, at, "id", "content", "single_word", "lstrip", "rstrip", "normalized", "special");
                var idElement = Required(token, at, "id");
                if (idElement.ValueKind != JsonValueKind.Number || !idElement.TryGetInt32(out var id) || id < 0)
                {
                    throw Fail(at + ".id", $"expected a non-negative integer, got {Describe(idElement)}");
                }
                var content = StringOf(token, at, "content");
                if (content.Length == 0) throw Fail(at + ".content", "is empty");
                foreach (var flag in new[] { "single_word", "lstrip", "rstrip" })
                {
                    if (Bool(token, at, flag, false)) throw Fail(at + "." + flag, "only false is supported");
                }
                Bool(token, at, "normalized", false);
                result.Add(new AddedToken(id, content, Bool(token, at, "special", false)));
            }
            return result;
        }
    }
}
