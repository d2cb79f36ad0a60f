using System.Text;
using LowRankTrainer.Data;
using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Tests.Tokenizers;

public class Gpt2BpeTokenizerTests
{
    // A small vocabulary built from a merge list: the 256 byte characters, then each merge's result in
    // merge order, so ids are derived, never typed.
    private static GptBpeTokenizer Small(params string[] merges)
    {
        var encoder = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var b = 0; b < 256; b++) encoder[ByteUnicodeMap.ByteToChar((byte)b).ToString()] = encoder.Count;
        foreach (var merge in merges)
        {
            var parts = merge.Split(' ');
            encoder.TryAdd(parts[0] + parts[1], encoder.Count);
        }
        var ranks = BpeMergeRanks.Parse("#version: 0.2\n" + string.Join("\n", merges) + "\n", "small.bpe");
        return new GptBpeTokenizer(encoder, ranks);
    }

    private static int Id(GptBpeTokenizer t, string token) => t.TokenToId(token) is var id and >= 0 ? id : throw new KeyNotFoundException(token);

    [Fact]
    public void ByteUnicodeMap_IsABijectionOfTheBytes()
    {
        var chars = ByteUnicodeMap.ToArray();
        Assert.Equal(256, chars.Distinct().Count());
        for (var b = 0; b < 256; b++)
        {
            Assert.Equal(b, ByteUnicodeMap.CharToByte(chars[b]));
            Assert.False(char.IsWhiteSpace(chars[b]) || char.IsControl(chars[b]), $"byte {b} maps to a blank or control character");
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            Assert.Equal(printable, chars[b] == (char)b);
        }
        Assert.Equal('\u0120', ByteUnicodeMap.ByteToChar((byte)' ')); // GPT-2's 'Ġ'
        Assert.Equal('\u010A', ByteUnicodeMap.ByteToChar((byte)'\n')); // 'Ċ'
        Assert.Equal(-1, ByteUnicodeMap.CharToByte(' '));
        Assert.Equal(-1, ByteUnicodeMap.CharToByte('\u0144'));
    }

    [Theory]
    [InlineData("Hello world", "Hello| world")]
    [InlineData("Hello  world", "Hello| | world")]
    [InlineData("Hello   world  ", "Hello|  | world|  ")]
    [InlineData("I'm here, they'll go", "I|'m| here|,| they|'ll| go")]
    [InlineData("IT'S WE'LL", "IT|'|S| WE|'|LL")]
    [InlineData("don’t", "don|’|t")]
    [InlineData(" 's ''s", " '|s| ''|s")]
    [InlineData("abc123 45.6", "abc|123| 45|.|6")]
    [InlineData("x\ty", "x|\t|y")]
    [InlineData("x \ty", "x| |\t|y")]
    [InlineData("x\t y", "x|\t| y")]
    [InlineData("a\n\nb", "a|\n|\n|b")]
    [InlineData("a \n", "a| \n")]
    [InlineData("e\u0301!?", "e|\u0301!?")]
    [InlineData(" 😀👍🏽 ok", " 😀👍🏽| ok")]
    [InlineData("𝐀𝐁 𝟏𝟐", "𝐀𝐁| 𝟏𝟐")]
    [InlineData("a\u00a0b", "a|\u00a0|b")]
    [InlineData("a\u0085b", "a|\u0085|b")]
    [InlineData("\ufeffa", "\ufeff|a")]
    public void PreTokenizer_SplitsLikeTheGpt2Pattern(string text, string expected)
    {
        var pieces = Gpt2PreTokenizer.Split(text);
        Assert.Equal(expected, string.Join("|", pieces));
        Assert.Equal(text, string.Concat(pieces));
    }

    [Fact]
    public void Encode_MergesTheLowestRankFirst()
    {
        // Same merges, different order: the lower rank wins.
        var bcFirst = Small("b c", "a b");
        Assert.Equal([Id(bcFirst, "a"), Id(bcFirst, "bc")], bcFirst.Encode("abc"));
        var abFirst = Small("a b", "b c");
        Assert.Equal([Id(abFirst, "ab"), Id(abFirst, "c")], abFirst.Encode("abc"));
        var chain = Small("b c", "a b", "a bc");
        Assert.Equal([Id(chain, "abc")], chain.Encode("abc"));
    }

    [Fact]
    public void Encode_MergesEveryOccurrenceLeftToRight()
    {
        var t = Small("a a", "a b");
        Assert.Equal([Id(t, "ab"), Id(t, "ab")], t.Encode("abab"));
        Assert.Equal([Id(t, "aa"), Id(t, "a")], t.Encode("aaa"));
        Assert.Equal([Id(t, "aa"), Id(t, "aa")], t.Encode("aaaa"));
    }

    [Fact]
    public void Encode_SpaceJoinsTheFollowingWordAsG()
    {
        var t = Small("\u0120 h", "\u0120h i");
        Assert.Equal([Id(t, "h"), Id(t, "\u0120hi")], t.Encode("h hi"));
        Assert.Equal("h hi", t.Decode(t.Encode("h hi")));
    }

    [Fact]
    public void Encode_UnmergedBytes_AreSingleByteTokens()
    {
        var t = Small("a b");
        var text = "é😀";
        var expected = Encoding.UTF8.GetBytes(text).Select(b => Id(t, ByteUnicodeMap.ByteToChar(b).ToString())).ToArray();
        Assert.Equal(expected, t.Encode(text));
        Assert.Equal(text, t.Decode(t.Encode(text)));
    }

    [Fact]
    public void Ranks_AreKeyedLikeTheJavaScriptReference()
    {
        // "a ,b" and "a, b" both become the key "a,,b"; the later merge's rank wins for both pairs.
        var ranks = BpeMergeRanks.Parse("#version: 0.2\nx y\na ,b\na, b\n", "commas.bpe");
        Assert.Equal(3, ranks.Count);
        Assert.Equal(0, ranks.Rank("x", "y"));
        Assert.Equal(2, ranks.Rank("a", ",b"));
        Assert.Equal(2, ranks.Rank("a,", "b"));
        Assert.Equal(-1, ranks.Rank("y", "x"));
    }

    [Fact]
    public void Decode_UnknownId_Throws()
    {
        var t = Small("a b");
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Decode([t.VocabularySize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Decode([-1L]));
    }

    [Fact]
    public void Decode_SplitMultiByteCharacter_GivesReplacementCharacter()
    {
        var t = Small("a b");
        var ids = t.Encode("é");
        Assert.Equal(2, ids.Length);
        Assert.Equal("\uFFFD", t.Decode(ids.AsSpan(0, 1)));
    }

    [Fact]
    public void EncodeBatch_Longest_PadsOnTheRightWithMasks()
    {
        var t = Small("a b");
        string[] texts = ["ab ab ab", "ab", ""];
        var singles = texts.Select(x => t.Encode(x)).ToArray();
        var batch = t.EncodeBatch(texts, padding: PaddingStrategy.Longest, padTokenId: 7);
        var longest = singles.Max(s => s.Length);
        Assert.True(batch.IsRectangular);
        for (var r = 0; r < texts.Length; r++)
        {
            Assert.Equal(longest, batch.InputIds[r].Length);
            Assert.Equal(singles[r].Select(i => (long)i).Concat(Enumerable.Repeat(7L, longest - singles[r].Length)), batch.InputIds[r]);
            Assert.Equal(Enumerable.Repeat(1L, singles[r].Length).Concat(Enumerable.Repeat(0L, longest - singles[r].Length)), batch.AttentionMask[r]);
        }
    }

    [Fact]
    public void EncodeBatch_MaxLengthWithTruncation_CutsAndPads()
    {
        var t = Small("a b");
        string[] texts = ["ab ab ab ab", "ab"];
        var singles = texts.Select(x => t.Encode(x)).ToArray();
        Assert.True(singles[0].Length > 3 && singles[1].Length < 3);
        var batch = t.EncodeBatch(texts, maxLength: 3, padding: PaddingStrategy.MaxLength, truncation: true, padTokenId: 0);
        Assert.Equal(singles[0][..3].Select(i => (long)i), batch.InputIds[0]);
        Assert.Equal([1L, 1L, 1L], batch.AttentionMask[0]);
        Assert.Equal(3, batch.InputIds[1].Length);
        Assert.Equal(singles[1].Length, batch.AttentionMask[1].Sum());
        Assert.Equal(singles[1].Select(i => (long)i), batch.InputIds[1].Take(singles[1].Length));
    }

    [Fact]
    public void EncodeBatch_NoPaddingOrNoTruncation_LeavesRowsRagged()
    {
        var t = Small("a b");
        string[] texts = ["ab ab ab ab", "ab"];
        var none = t.EncodeBatch(texts, padding: PaddingStrategy.None);
        Assert.False(none.IsRectangular);
        Assert.Equal(t.Encode(texts[0]).Length, none.InputIds[0].Length);
        Assert.All(none.AttentionMask, m => Assert.All(m, v => Assert.Equal(1L, v)));
        Assert.Throws<InvalidOperationException>(() => none.ToTensors());
        // max_length without truncation: a longer row stays longer (Hugging Face does the same).
        var notTruncated = t.EncodeBatch(texts, maxLength: 2, padding: PaddingStrategy.MaxLength);
        Assert.Equal(t.Encode(texts[0]).Length, notTruncated.InputIds[0].Length);
        Assert.Equal(2, notTruncated.InputIds[1].Length);
        var truncatedOnly = t.EncodeBatch(texts, maxLength: 2, padding: PaddingStrategy.None, truncation: true);
        Assert.Equal(2, truncatedOnly.InputIds[0].Length);
        Assert.Equal(t.Encode(texts[1]).Length, truncatedOnly.InputIds[1].Length);
    }

    [Fact]
    public void EncodeBatch_MissingMaxLength_Throws()
    {
        var t = Small("a b");
        Assert.Throws<ArgumentException>(() => t.EncodeBatch(["ab"], padding: PaddingStrategy.MaxLength));
        Assert.Throws<ArgumentException>(() => t.EncodeBatch(["ab"], truncation: true));
        Assert.Throws<ArgumentException>(() => t.EncodeBatch(["ab"], maxLength: 0));
    }

    [Fact]
    public void ToTensors_GivesInt64TensorsOfTheBatchShape()
    {
        var t = Small("a b");
        var batch = t.EncodeBatch(["ab ab ab", "ab"], padding: PaddingStrategy.Longest, padTokenId: 3);
        var (ids, mask) = batch.ToTensors();
        using (ids)
        using (mask)
        {
            Assert.Equal(LowRankTrainer.Torch.DType.Int64, ids.DType);
            Assert.Equal(LowRankTrainer.Torch.DType.Int64, mask.DType);
            Assert.Equal([2L, batch.InputIds[0].Length], ids.Shape);
            Assert.Equal(batch.InputIds.SelectMany(r => r), ids.ToArray<long>());
            Assert.Equal(batch.AttentionMask.SelectMany(r => r), mask.ToArray<long>());
        }
    }

    [Theory]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"a\": 1.5}", "the id of token 'a' is not a non-negative integer")]
    [InlineData("{\"a\": -1}", "the id of token 'a' is not a non-negative integer")]
    [InlineData("{\"a\": \"1\"}", "the id of token 'a' is not a non-negative integer")]
    [InlineData("{\"a\": 0, \"a\": 1}", "token 'a' appears twice")]
    [InlineData("{\"a\": 0, \"b\": 0}", "share the id 0")]
    [InlineData("{\"a\": 0,", "invalid JSON")]
    [InlineData("", "invalid JSON")]
    public void FromFiles_MalformedEncoderJson_NamesTheFile(string json, string problem)
    {
        using var dir = new LowRankTrainer.Tests.Data.TestPaths.TempDir();
        var encoder = dir.File("encoder.json");
        var merges = dir.File("vocab.bpe");
        File.WriteAllText(encoder, json);
        File.WriteAllText(merges, "#version: 0.2\na b\n");
        var e = Assert.Throws<DataFormatException>(() => GptBpeTokenizer.FromFiles(encoder, merges));
        Assert.Equal(encoder, e.FilePath);
        Assert.StartsWith(encoder, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a b\nc d\n", 1, "header")]
    [InlineData("#version: 0.2\na b\nc\n", 3, "got 1")]
    [InlineData("#version: 0.2\na b c\n", 2, "got 3")]
    [InlineData("#version: 0.2\na b\n\nc d\n", 3, "got 0")]
    public void FromFiles_MalformedVocabBpe_NamesTheFileAndLine(string text, int line, string problem)
    {
        using var dir = new LowRankTrainer.Tests.Data.TestPaths.TempDir();
        var encoder = dir.File("encoder.json");
        var merges = dir.File("vocab.bpe");
        File.WriteAllText(encoder, "{\"a\": 0, \"b\": 1}");
        File.WriteAllText(merges, text);
        var e = Assert.Throws<DataFormatException>(() => GptBpeTokenizer.FromFiles(encoder, merges));
        Assert.Equal(merges, e.FilePath);
        Assert.Equal(line, e.Line);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFiles_MissingFile_NamesIt()
    {
        using var dir = new LowRankTrainer.Tests.Data.TestPaths.TempDir();
        var missing = dir.File("nope.json");
        var e = Assert.Throws<FileNotFoundException>(() => GptBpeTokenizer.FromFiles(missing, dir.File("vocab.bpe")));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_MergesOutsideTheVocabulary_ThrowsNamingTheMismatch()
    {
        var encoder = new Dictionary<string, int>(StringComparer.Ordinal) { ["a"] = 0, ["b"] = 1 };
        var t = new GptBpeTokenizer(encoder, BpeMergeRanks.Parse("#version: 0.2\na b\n", "m.bpe"));
        var e = Assert.Throws<InvalidOperationException>(() => t.Encode("ab"));
        Assert.Contains("do not belong together", e.Message, StringComparison.Ordinal);
    }
}
