using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Tests.Tokenizers;

/// <summary>
/// <see cref="ITextTokenizer.Encode(string, int)"/> stops early yet equals the prefix of the full encoding, on every
/// line of the reference corpora (added tokens, whitespace runs, CJK, emoji, long words included), for several limits;
/// and truncating batches use it.
/// </summary>
public class PrefixEncodingTests
{
    private static readonly int[] Limits = [0, 1, 2, 5, 17, 64];

    private static void AssertPrefixes(ITextTokenizer tokenizer, IEnumerable<string> texts)
    {
        var checkedLines = 0;
        foreach (var text in texts)
        {
            var all = tokenizer.Encode(text);
            foreach (var k in Limits)
            {
                var prefix = tokenizer.Encode(text, k);
                Assert.True(all.AsSpan(0, Math.Min(k, all.Length)).SequenceEqual(prefix), $"limit {k} of '{text}'");
            }
            checkedLines++;
        }
        Assert.True(checkedLines > 1000, $"only {checkedLines} lines");
    }

    [Gpt2VocabFact]
    public void Gpt2PrefixesEqualTheFullEncoding() =>
        AssertPrefixes(Gpt2Files.Tokenizer, Gpt2BpeReferenceTests.Corpus.Value.Select(l => l.Text));

    [Fact]
    public void HfBpeWithAnAddedTokenPrefixesEqualTheFullEncoding() =>
        AssertPrefixes(TokenizerFiles.Load(Path.Combine(Gpt2Files.RepoRoot, "experiments", "gpt2_brown_spam", "tokenizer", "tokenizer.json")),
            Gpt2BpeReferenceTests.Corpus.Value.Select((l, i) => i % 3 == 0 ? l.Text + "<|endoftext|>" + l.Text : l.Text));

    [Fact]
    public void WordPiecePrefixesEqualTheFullEncoding() =>
        AssertPrefixes(WordPieceTokenizer.FromVocabFile(Path.Combine(HfReferenceFiles.WordPieceDir, "uncased", "vocab.txt")),
            WordPieceReferenceTests.Corpus.Value.Select(l => l.Text));

    [Gpt2VocabFact]
    public void TruncatedBatchesEqualTruncatingTheFullEncoding()
    {
        var tokenizer = Gpt2Files.Tokenizer;
        var texts = Gpt2BpeReferenceTests.Corpus.Value.Take(200).Select(l => l.Text).ToList();
        var batch = BatchEncoder.Encode(tokenizer, texts, maxLength: 9, PaddingStrategy.MaxLength, truncation: true, padTokenId: 50256);
        for (var r = 0; r < texts.Count; r++)
        {
            var full = tokenizer.Encode(texts[r]);
            var kept = Math.Min(9, full.Length);
            Assert.Equal(full.Take(kept).Select(i => (long)i).Concat(Enumerable.Repeat(50256L, 9 - kept)), batch.InputIds[r]);
        }
    }

    [Fact]
    public void ANegativeLimitIsRefused()
    {
        var tokenizer = WordPieceTokenizer.FromVocabFile(Path.Combine(HfReferenceFiles.WordPieceDir, "uncased", "vocab.txt"));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Encode("text", -1));
    }
}
