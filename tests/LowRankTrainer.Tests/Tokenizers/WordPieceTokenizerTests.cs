using System.Text.Json.Nodes;
using LowRankTrainer.Data;
using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Tests.Tokenizers;

public class WordPieceTokenizerTests
{
    private static readonly Dictionary<string, int> Vocab = new()
    {
        ["[PAD]"] = 0, ["[UNK]"] = 1, ["[CLS]"] = 2, ["[SEP]"] = 3, ["[MASK]"] = 4,
        ["un"] = 5, ["##aff"] = 6, ["##able"] = 7, ["hello"] = 8, ["."] = 9, ["a"] = 10, ["##a"] = 11,
    };

    private static WordPieceTokenizer Make(params AddedToken[] added) => new(Vocab, new WordPieceOptions { AddedTokens = added, SpecialIdsBefore = [2], SpecialIdsAfter = [3], PadTokenId = 0 });

    [Fact]
    public void Encode_GreedyLongestMatchFirst_UnknownWordsAndTooLongWordsBecomeUnk()
    {
        var t = Make();
        Assert.Equal([5, 6, 7], t.Encode("unaffable"));
        Assert.Equal([8, 9, 1], t.Encode("Hello. xyz"));
        Assert.Equal([1], t.Encode("unaffablex"));
        Assert.Equal([10, .. Enumerable.Repeat(11, 99)], t.Encode(new string('a', 100)));
        Assert.Equal([1], t.Encode(new string('a', 101)));
        Assert.Equal("unaffable hello. [UNK]", t.Decode([5, 6, 7, 8, 9, 1]));
        Assert.Equal("[CLS] hello [SEP]", t.Decode([2, 8, 3]));
    }

    [Fact]
    public void AddedTokens_MatchBeforeNormalization_StripFlagsEatWhitespace()
    {
        var t = Make(new AddedToken(4, "[MASK]", true) { LeftStrip = true, RightStrip = true });
        Assert.Equal([8, 4, 8], t.Encode("hello   [MASK]  hello"));
        Assert.Equal([1, 1, 1, 10], t.Encode("[mask] a")); // case matters: [mask] is text, split into [, mask, ]
        var plain = Make(new AddedToken(4, "[MASK]", true));
        Assert.Equal([8, 4, 8], plain.Encode("hello [MASK] hello"));
        Assert.Equal("hello [MASK] hello", plain.Decode([8, 4, 8]));
        Assert.Equal("hello hello", plain.Decode([8, 4, 8], skipSpecialTokens: true));
    }

    [Fact]
    public void Constructor_RefusesAVocabularyWithoutTheUnknownToken()
    {
        var e = Assert.Throws<ArgumentException>(() => new WordPieceTokenizer(new Dictionary<string, int> { ["a"] = 0 }, new WordPieceOptions()));
        Assert.Contains("[UNK]", e.Message, StringComparison.Ordinal);
    }

    private static string FixtureJson => Path.Combine(HfReferenceFiles.WordPieceDir, "uncased", "tokenizer.json");

    private static void AssertRefused(Action<JsonObject> edit, string jsonPath)
    {
        var json = JsonNode.Parse(File.ReadAllText(FixtureJson))!.AsObject();
        edit(json);
        using var dir = new LowRankTrainer.Tests.Data.TestPaths.TempDir();
        var path = dir.File("tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<DataFormatException>(() => TokenizerFiles.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(jsonPath + ":", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenizerJson_UnsupportedFields_AreRefusedNamingFileAndPath()
    {
        AssertRefused(j => j["normalizer"] = new JsonObject { ["type"] = "NFC" }, "normalizer.type");
        AssertRefused(j => j["normalizer"]!["extra"] = 1, "normalizer.extra");
        AssertRefused(j => j["pre_tokenizer"] = new JsonObject { ["type"] = "Whitespace" }, "pre_tokenizer.type");
        AssertRefused(j => j["truncation"] = new JsonObject { ["max_length"] = 8 }, "truncation");
        AssertRefused(j => j["added_tokens"]![0]!["single_word"] = true, "added_tokens[0].single_word");
        AssertRefused(j => j["added_tokens"]![0]!["normalized"] = true, "added_tokens[0].normalized");
        AssertRefused(j => j["decoder"] = new JsonObject { ["type"] = "BPEDecoder" }, "decoder.type");
        AssertRefused(j => j["post_processor"] = new JsonObject { ["type"] = "RobertaProcessing" }, "post_processor.type");
        AssertRefused(j => j["model"]!["vocab"]!["hello"] = -1, "model.vocab[\"hello\"]");
        AssertRefused(j => j["model"]!["type"] = "Unigram", "model.type");
        AssertRefused(j => j["padding"] = new JsonObject { ["direction"] = "Left", ["pad_id"] = 0 }, "padding.direction");
    }

    [Fact]
    public void TokenizerJson_PaddingPadIdIsUsed()
    {
        var json = JsonNode.Parse(File.ReadAllText(FixtureJson))!.AsObject();
        json["padding"] = new JsonObject { ["strategy"] = "BatchLongest", ["direction"] = "Right", ["pad_to_multiple_of"] = null, ["pad_id"] = 4, ["pad_type_id"] = 0, ["pad_token"] = "[MASK]" };
        using var dir = new LowRankTrainer.Tests.Data.TestPaths.TempDir();
        File.WriteAllText(dir.File("tokenizer.json"), json.ToJsonString());
        Assert.Equal(4, TokenizerFiles.Load(dir.Path).PadTokenId);
    }
}
