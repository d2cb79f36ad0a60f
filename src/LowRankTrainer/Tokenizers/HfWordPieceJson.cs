using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Data;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> whose model is WordPiece (BERT's layout) into a
/// <see cref="WordPieceTokenizer"/>.
/// </summary>
/// <remarks>
/// <para>Accepted: <c>model</c> of type <c>WordPiece</c> with <c>vocab</c> (token → id), <c>unk_token</c>,
/// <c>continuing_subword_prefix</c> and <c>max_input_chars_per_word</c>; <c>normalizer</c> null or
/// <c>BertNormalizer</c> (<c>clean_text</c>, <c>handle_chinese_chars</c>, <c>strip_accents</c> true/false/null,
/// <c>lowercase</c>); <c>pre_tokenizer</c> <c>BertPreTokenizer</c>; <c>post_processor</c> null, <c>BertProcessing</c>
/// (<c>cls</c>, <c>sep</c>) or <c>TemplateProcessing</c> whose <c>single</c> template holds the sequence <c>$A</c> once
/// and special tokens around it (<c>pair</c> is read for its shape only: pairs are not encoded); <c>decoder</c>
/// <c>WordPiece</c> (<c>prefix</c>, <c>cleanup</c>); <c>truncation</c> null; <c>padding</c> null or with
/// <c>direction</c> Right, whose <c>pad_id</c> becomes <see cref="WordPieceTokenizer.PadTokenId"/> (the strategy is
/// the caller's, through <see cref="BatchEncoder"/>); without it, <c>[PAD]</c>'s id when present.
/// <c>added_tokens</c> are matched in the raw text before normalisation, honouring <c>lstrip</c>/<c>rstrip</c>;
/// <c>single_word</c> or <c>normalized</c> true (matching after normalisation) are refused.</para>
/// <para>Anything else is refused with a <see cref="DataFormatException"/> naming the file and the JSON path.</para>
/// </remarks>
public static class HfWordPieceJson
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed or unsupported; the message names the file and the JSON path.</exception>
    public static WordPieceTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var doc = HfTokenizerJson.Parse(path);
        return Read(path, doc.RootElement);
    }

    internal static WordPieceTokenizer Read(string path, JsonElement root) => new Reader(path).Read(root);

    private sealed class Reader(string file) : HfJsonFields(file)
    {
        public WordPieceTokenizer Read(JsonElement root)
        {
            Expect(root, JsonValueKind.Object, "(root)", "an object");
            CheckFields(root, "", "version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model");
            if (root.TryGetProperty("truncation", out var truncation) && truncation.ValueKind != JsonValueKind.Null)
            {
                throw Fail("truncation", $"only null is supported (truncate through BatchEncoder), got {Describe(truncation)}");
            }
            var model = Required(root, "", "model");
            Expect(model, JsonValueKind.Object, "model", "an object");
            if (TypeOf(model, "model") != "WordPiece") throw Fail("model.type", $"'{TypeOf(model, "model")}' is not WordPiece");
            CheckFields(model, "model", "type", "unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab");
            var vocab = ReadVocab(model);
            var added = ReadAddedTokens(root);
            var (before, after) = ReadPostProcessor(root);
            var (decoderPrefix, cleanup) = ReadDecoder(root);
            var pre = Required(root, "", "pre_tokenizer");
            Expect(pre, JsonValueKind.Object, "pre_tokenizer", "an object");
            if (TypeOf(pre, "pre_tokenizer") is var preType && preType != "BertPreTokenizer")
            {
                throw Fail("pre_tokenizer.type", $"'{preType}' is not supported (only BertPreTokenizer)");
            }
            CheckFields(pre, "pre_tokenizer", "type");
            var maxChars = model.TryGetProperty("max_input_chars_per_word", out var m) ? NonNegativeInt(m, "model.max_input_chars_per_word") : 100;
            var options = new WordPieceOptions
            {
                UnkToken = model.TryGetProperty("unk_token", out _) ? StringOf(model, "model", "unk_token") : "[UNK]",
                ContinuingSubwordPrefix = model.TryGetProperty("continuing_subword_prefix", out _) ? StringOf(model, "model", "continuing_subword_prefix") : "##",
                MaxInputCharsPerWord = maxChars,
                Normalizer = ReadNormalizer(root),
                AddedTokens = added,
                SpecialIdsBefore = before,
                SpecialIdsAfter = after,
                PadTokenId = ReadPadding(root) ?? (vocab.TryGetValue("[PAD]", out var pad) ? pad : added.FirstOrDefault(t => t.Content == "[PAD]")?.Id),
                DecoderPrefix = decoderPrefix,
                DecoderCleanup = cleanup,
            };
            try
            {
                return new WordPieceTokenizer(vocab, options);
            }
            catch (ArgumentException e)
            {
                throw new DataFormatException(FilePath, e.Message, innerException: e);
            }
        }

        private Dictionary<string, int> ReadVocab(JsonElement model)
        {
            var element = Required(model, "model", "vocab");
            Expect(element, JsonValueKind.Object, "model.vocab", "an object mapping tokens to ids");
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var member in element.EnumerateObject())
            {
                var id = NonNegativeInt(member.Value, $"model.vocab[{JsonSerializer.Serialize(member.Name)}]");
                if (!vocab.TryAdd(member.Name, id)) throw Fail("model.vocab", $"token {JsonSerializer.Serialize(member.Name)} appears twice");
            }
            return vocab;
        }

        private BertNormalizer? ReadNormalizer(JsonElement root)
        {
            if (!root.TryGetProperty("normalizer", out var n) || n.ValueKind == JsonValueKind.Null) return null;
            Expect(n, JsonValueKind.Object, "normalizer", "an object or null");
            if (TypeOf(n, "normalizer") is var type && type != "BertNormalizer") throw Fail("normalizer.type", $"'{type}' is not supported (only BertNormalizer or null)");
            CheckFields(n, "normalizer", "type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase");
            bool? strip = null;
            if (n.TryGetProperty("strip_accents", out var s) && s.ValueKind != JsonValueKind.Null) strip = Bool(n, "normalizer", "strip_accents", false);
            return new BertNormalizer(Bool(n, "normalizer", "clean_text", true), Bool(n, "normalizer", "handle_chinese_chars", true),
                strip, Bool(n, "normalizer", "lowercase", true));
        }

        private (string Prefix, bool Cleanup) ReadDecoder(JsonElement root)
        {
            var d = Required(root, "", "decoder");
            Expect(d, JsonValueKind.Object, "decoder", "an object");
            if (TypeOf(d, "decoder") is var type && type != "WordPiece") throw Fail("decoder.type", $"'{type}' is not supported (only WordPiece)");
            CheckFields(d, "decoder", "type", "prefix", "cleanup");
            return (d.TryGetProperty("prefix", out _) ? StringOf(d, "decoder", "prefix") : "##", Bool(d, "decoder", "cleanup", true));
        }

        private int? ReadPadding(JsonElement root)
        {
            if (!root.TryGetProperty("padding", out var p) || p.ValueKind == JsonValueKind.Null) return null;
            Expect(p, JsonValueKind.Object, "padding", "an object or null");
            CheckFields(p, "padding", "strategy", "direction", "pad_to_multiple_of", "pad_id", "pad_type_id", "pad_token");
            if (p.TryGetProperty("direction", out _) && StringOf(p, "padding", "direction") is var direction && direction != "Right")
            {
                throw Fail("padding.direction", $"only Right is supported, got '{direction}'");
            }
            return NonNegativeInt(Required(p, "padding", "pad_id"), "padding.pad_id");
        }

        private (int[] Before, int[] After) ReadPostProcessor(JsonElement root)
        {
            if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind == JsonValueKind.Null) return ([], []);
            Expect(post, JsonValueKind.Object, "post_processor", "an object or null");
            var type = TypeOf(post, "post_processor");
            if (type == "BertProcessing")
            {
                CheckFields(post, "post_processor", "type", "sep", "cls");
                return ([TokenPair(post, "cls")], [TokenPair(post, "sep")]);
            }
            if (type != "TemplateProcessing") throw Fail("post_processor.type", $"'{type}' is not supported (only null, BertProcessing or TemplateProcessing)");
            CheckFields(post, "post_processor", "type", "single", "pair", "special_tokens");
            var specials = ReadTemplateSpecials(post);
            var single = Required(post, "post_processor", "single");
            Expect(single, JsonValueKind.Array, "post_processor.single", "an array");
            var before = new List<int>();
            var after = new List<int>();
            var seen = false;
            var index = 0;
            foreach (var piece in single.EnumerateArray())
            {
                var at = string.Create(CultureInfo.InvariantCulture, $"post_processor.single[{index++}]");
                Expect(piece, JsonValueKind.Object, at, "an object");
                CheckFields(piece, at, "SpecialToken", "Sequence");
                if (piece.TryGetProperty("Sequence", out var sequence))
                {
                    Expect(sequence, JsonValueKind.Object, at + ".Sequence", "an object");
                    CheckFields(sequence, at + ".Sequence", "id", "type_id");
                    if (StringOf(sequence, at + ".Sequence", "id") is var id && id != "A") throw Fail(at + ".Sequence.id", $"only A is supported in a single template, got '{id}'");
                    if (seen) throw Fail(at, "the single template holds $A twice");
                    seen = true;
                }
                else
                {
                    var special = Required(piece, at, "SpecialToken");
                    Expect(special, JsonValueKind.Object, at + ".SpecialToken", "an object");
                    CheckFields(special, at + ".SpecialToken", "id", "type_id");
                    var name = StringOf(special, at + ".SpecialToken", "id");
                    if (!specials.TryGetValue(name, out var ids)) throw Fail(at + ".SpecialToken.id", $"'{name}' is not in post_processor.special_tokens");
                    (seen ? after : before).AddRange(ids);
                }
            }
            if (!seen) throw Fail("post_processor.single", "the template lacks the sequence $A");
            var pair = Required(post, "post_processor", "pair");
            Expect(pair, JsonValueKind.Array, "post_processor.pair", "an array");
            return ([.. before], [.. after]);
        }

        private Dictionary<string, int[]> ReadTemplateSpecials(JsonElement post)
        {
            var result = new Dictionary<string, int[]>(StringComparer.Ordinal);
            var element = Required(post, "post_processor", "special_tokens");
            Expect(element, JsonValueKind.Object, "post_processor.special_tokens", "an object");
            foreach (var member in element.EnumerateObject())
            {
                var at = $"post_processor.special_tokens[{JsonSerializer.Serialize(member.Name)}]";
                Expect(member.Value, JsonValueKind.Object, at, "an object");
                CheckFields(member.Value, at, "id", "ids", "tokens");
                var ids = Required(member.Value, at, "ids");
                Expect(ids, JsonValueKind.Array, at + ".ids", "an array");
                result[member.Name] = [.. ids.EnumerateArray().Select((e, k) => NonNegativeInt(e, string.Create(CultureInfo.InvariantCulture, $"{at}.ids[{k}]")))];
            }
            return result;
        }

        private int TokenPair(JsonElement post, string name)
        {
            var at = "post_processor." + name;
            var pair = Required(post, "post_processor", name);
            if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair[0].ValueKind != JsonValueKind.String)
            {
                throw Fail(at, $"expected [\"token\", id], got {Describe(pair)}");
            }
            return NonNegativeInt(pair[1], at + "[1]");
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
                var id = NonNegativeInt(Required(token, at, "id"), at + ".id");
                var content = StringOf(token, at, "content");
                if (content.Length == 0) throw Fail(at + ".content", "is empty");
                if (Bool(token, at, "single_word", false)) throw Fail(at + ".single_word", "only false is supported");
                if (Bool(token, at, "normalized", true)) throw Fail(at + ".normalized", "only false is supported (tokens matched after normalisation are not)");
                result.Add(new AddedToken(id, content, Bool(token, at, "special", false))
                {
                    LeftStrip = Bool(token, at, "lstrip", false),
                    RightStrip = Bool(token, at, "rstrip", false),
                });
            }
            return result;
        }
    }
}
