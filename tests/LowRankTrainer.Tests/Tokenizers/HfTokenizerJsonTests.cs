using System.Text.Json.Nodes;
using LowRankTrainer.Data;
using LowRankTrainer.Tests.Data;
using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Tests.Tokenizers;

// Small tokenizer.json files built here: the 256 byte characters, then each merge's result in merge
// order, so ids are derived, never typed. The expected ids come from the same vocabulary loaded through
// the GptBpeTokenizer constructor and BpeMergeRanks.Parse (the vocab.bpe path).
public sealed class HfTokenizerJsonTests : IDisposable
{
    private static readonly string[] Merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d", "Ġ t"];

    private readonly TestPaths.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, int> Vocab()
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var b = 0; b < 256; b++) vocab[ByteUnicodeMap.ByteToChar((byte)b).ToString()] = vocab.Count;
        foreach (var merge in Merges)
        {
            var parts = merge.Split(' ');
            vocab.TryAdd(parts[0] + parts[1], vocab.Count);
        }
        return vocab;
    }

    private static GptBpeTokenizer Reference() =>
        new(Vocab(), BpeMergeRanks.Parse("#version: 0.2\n" + string.Join("\n", Merges) + "\n", "small.bpe"));

    private static JsonObject Json(bool pairs = false)
    {
        var vocab = new JsonObject();
        foreach (var (token, id) in Vocab()) vocab[token] = id;
        var merges = new JsonArray();
        foreach (var merge in Merges)
        {
            var parts = merge.Split(' ');
            merges.Add(pairs ? new JsonArray(parts[0], parts[1]) : JsonValue.Create(merge));
        }
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(new JsonObject
            {
                ["id"] = Vocab().Count, ["content"] = "<|end|>", ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "", ["fuse_unk"] = false, ["byte_fallback"] = false, ["vocab"] = vocab, ["merges"] = merges,
            },
        };
    }

    private string Write(JsonObject json, string name = "tokenizer.json")
    {
        var path = _dir.File(name);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private GptBpeTokenizer Load(JsonObject json) => GptBpeTokenizer.FromTokenizerJson(Write(json));

    private static readonly string[] Texts = ["hello world", "hello  world the", "Hello, World! 123", "héllo wörld 😀", "", " ", "ll ll"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_EitherMergesFormat_EncodesLikeTheVocabBpePath(bool pairs)
    {
        var reference = Reference();
        var tokenizer = Load(Json(pairs));
        Assert.Equal(Merges.Length, tokenizer.Merges.Count);
        foreach (var text in Texts)
        {
            Assert.Equal(reference.Encode(text), tokenizer.Encode(text));
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        }
        Assert.Equal([reference.TokenToId("hello"), reference.TokenToId("Ġworld")], tokenizer.Encode("hello world"));
    }

    [Fact]
    public void AddedToken_NotInTheVocabulary_IsMatchedAndDecoded()
    {
        var reference = Reference();
        var tokenizer = Load(Json());
        var end = Vocab().Count;
        Assert.Equal(end, tokenizer.TokenToId("<|end|>"));
        Assert.Equal("<|end|>", tokenizer.IdToToken(end));
        int[] expected = [.. reference.Encode("hello"), end, .. reference.Encode(" world"), end];
        Assert.Equal(expected, tokenizer.Encode("hello<|end|> world<|end|>"));
        Assert.Equal("hello<|end|> world<|end|>", tokenizer.Decode(expected));
        Assert.Equal(reference.Encode("<|end"), tokenizer.Encode("<|end"));
    }

    [Fact]
    public void AddedTokens_Overlapping_TheLongestAtTheLeftmostPositionWins()
    {
        var json = Json();
        var n = Vocab().Count;
        json["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = n + 1, ["content"] = "<|end|>x", ["special"] = false });
        json["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = n + 2, ["content"] = "|>", ["special"] = false });
        var tokenizer = Load(json);
        var reference = Reference();
        Assert.Equal([n + 1, .. reference.Encode("y")], tokenizer.Encode("<|end|>xy"));
        Assert.Equal([n, .. reference.Encode("y")], tokenizer.Encode("<|end|>y"));
        Assert.Equal([.. reference.Encode("a"), n + 2], tokenizer.Encode("a|>"));
        Assert.False(tokenizer.AddedTokens.Single(t => t.Id == n + 1).Special);
    }

    [Fact]
    public void AddPrefixSpace_PrependsASpaceToEachStretchWithoutOne()
    {
        var json = Json();
        json["pre_tokenizer"]!["add_prefix_space"] = true;
        var tokenizer = Load(json);
        var reference = Reference();
        var end = Vocab().Count;
        Assert.Equal(reference.Encode(" world"), tokenizer.Encode("world"));
        Assert.Equal(reference.Encode(" world"), tokenizer.Encode(" world"));
        Assert.Equal(reference.Encode(" \tworld"), tokenizer.Encode("\tworld"));
        Assert.Equal([.. reference.Encode(" hello"), end, .. reference.Encode(" world")], tokenizer.Encode("hello<|end|>world"));
        Assert.Equal([end], tokenizer.Encode("<|end|>"));
        Assert.Empty(tokenizer.Encode(""));
    }

    [Fact]
    public void SequenceOfGpt2SplitAndByteLevel_IsAccepted()
    {
        var json = Json();
        json["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = HfTokenizerJson.Gpt2Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
        };
        var tokenizer = Load(json);
        var reference = Reference();
        foreach (var text in Texts) Assert.Equal(reference.Encode(text), tokenizer.Encode(text));

        json["pre_tokenizer"]!["pretokenizers"]![1]!["add_prefix_space"] = true;
        AssertRefused(json, "pre_tokenizer.pretokenizers[1].add_prefix_space");
        json["pre_tokenizer"]!["pretokenizers"]![1]!["add_prefix_space"] = false;
        json["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = @"\s+|\w+";
        AssertRefused(json, "pre_tokenizer.pretokenizers[0].pattern.Regex");
    }

    private void AssertRefused(JsonObject json, string jsonPath, string? alsoContains = null)
    {
        var path = Write(json, "bad.json");
        var e = Assert.Throws<DataFormatException>(() => GptBpeTokenizer.FromTokenizerJson(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(jsonPath + ":", e.Message, StringComparison.Ordinal);
        if (alsoContains is not null) Assert.Contains(alsoContains, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_ModelTypeNormalizerAndFields_AreRefusedNamingTheFieldAndTheFile()
    {
        var json = Json();
        json["model"]!["type"] = "WordPiece";
        AssertRefused(json, "model.type", "WordPiece");

        json = Json();
        json["normalizer"] = new JsonObject { ["type"] = "NFC" };
        AssertRefused(json, "normalizer", "NFC");

        json = Json();
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Whitespace" };
        AssertRefused(json, "pre_tokenizer.type", "Whitespace");

        json = Json();
        json["pre_tokenizer"]!["use_regex"] = false;
        AssertRefused(json, "pre_tokenizer.use_regex");

        json = Json();
        json["decoder"] = new JsonObject { ["type"] = "WordPiece" };
        AssertRefused(json, "decoder.type");

        json = Json();
        json["post_processor"] = new JsonObject { ["type"] = "TemplateProcessing" };
        AssertRefused(json, "post_processor.type");

        json = Json();
        json["model"]!["byte_fallback"] = true;
        AssertRefused(json, "model.byte_fallback");

        json = Json();
        json["model"]!["continuing_subword_prefix"] = "##";
        AssertRefused(json, "model.continuing_subword_prefix");

        json = Json();
        json["truncation"] = new JsonObject { ["max_length"] = 8 };
        AssertRefused(json, "truncation");

        json = Json();
        json["surprise"] = 1;
        AssertRefused(json, "surprise");

        json = Json();
        json["model"]!["shiny"] = true;
        AssertRefused(json, "model.shiny");

        json = Json();
        json["added_tokens"]![0]!["lstrip"] = true;
        AssertRefused(json, "added_tokens[0].lstrip");
    }

    [Fact]
    public void Malformed_VocabAndMerges_AreRefusedNamingTheFieldAndTheFile()
    {
        var json = Json();
        json["model"]!.AsObject().Remove("vocab");
        AssertRefused(json, "model.vocab", "missing");

        json = Json();
        json["model"]!.AsObject().Remove("merges");
        AssertRefused(json, "model.merges", "missing");

        json = Json();
        json["model"]!["vocab"]!["h"] = "seven";
        AssertRefused(json, "model.vocab[\"h\"]");

        json = Json();
        json["model"]!["merges"]![2] = "hell";
        AssertRefused(json, "model.merges[2]");

        json = Json();
        json["model"]!["merges"]![2] = "he ll o";
        AssertRefused(json, "model.merges[2]");

        json = Json();
        json["model"]!["merges"]![3] = new JsonArray(1, 2);
        AssertRefused(json, "model.merges[3]");

        json = Json();
        json["model"]!["merges"]![4] = new JsonArray("Ġ");
        AssertRefused(json, "model.merges[4]");

        json = Json();
        json["model"]!["merges"]![1] = "q z";
        AssertRefused(json, "model.merges[1]", "\"qz\"");

        json = Json();
        json["added_tokens"]![0]!["id"] = 0;
        var path = Write(json, "clash.json");
        var e = Assert.Throws<DataFormatException>(() => GptBpeTokenizer.FromTokenizerJson(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);

        File.WriteAllText(_dir.File("broken.json"), "{\"model\": ");
        e = Assert.Throws<DataFormatException>(() => GptBpeTokenizer.FromTokenizerJson(_dir.File("broken.json")));
        Assert.Contains("broken.json", e.Message, StringComparison.Ordinal);

        Assert.Throws<FileNotFoundException>(() => GptBpeTokenizer.FromTokenizerJson(_dir.File("absent.json")));
    }

    [Fact]
    public void FromPairs_KeepsPairsApartThatTheJavaScriptKeyConflates()
    {
        // The JavaScript key "a,b" makes ("a,", "b") and ("a", ",b") one rank; Hugging Face keeps them apart.
        var js = BpeMergeRanks.Parse("#version: 0.2\na, b\na ,b\n", "js.bpe");
        Assert.Equal(js.Rank("a,", "b"), js.Rank("a", ",b"));
        var hf = BpeMergeRanks.FromPairs([("a,", "b"), ("a", ",b")]);
        Assert.Equal(0, hf.Rank("a,", "b"));
        Assert.Equal(1, hf.Rank("a", ",b"));
        Assert.Equal(-1, hf.Rank("a", "b"));
        Assert.Throws<ArgumentException>(() => BpeMergeRanks.FromPairs([("a\0", "b")]));
    }
}
