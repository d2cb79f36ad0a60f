using LowRankTrainer.Data.Text;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data.Text;

/// <summary>Text pairs from documents (<see cref="TextPairDataset"/>) on hand-made corpora.</summary>
public class TextPairDatasetTests
{
    /// <summary>Document d of <paramref name="words"/> words "d{d}w{i}".</summary>
    private static TextDocument Document(int d, int words, string prefix = "doc") =>
        new($"{prefix}{d:D2}", string.Join(' ', Enumerable.Range(0, words).Select(w => $"d{d}w{w}")));

    [Fact]
    public void Pairs_AreNeighbouringSpans_IncompleteAndOddSpansDropped()
    {
        int[] ids = [.. Enumerable.Range(100, 23)];
        // Spans of 5: [100..104] [105..109] [110..114] [115..119]; 120–122 is incomplete.
        var pairs = TextPairDataset.Pairs(ids, 5);
        Assert.Equal(2, pairs.Count);
        Assert.Equal([100, 101, 102, 103, 104], pairs[0].Anchor);
        Assert.Equal([105, 106, 107, 108, 109], pairs[0].Positive);
        Assert.Equal([110, 111, 112, 113, 114], pairs[1].Anchor);
        Assert.Equal([115, 116, 117, 118, 119], pairs[1].Positive);
        // 25 ids: five spans, the fifth has no partner.
        Assert.Equal(2, TextPairDataset.Pairs([.. Enumerable.Range(0, 25)], 5).Count);
        Assert.Empty(TextPairDataset.Pairs([.. Enumerable.Range(0, 9)], 5));
    }

    [Fact]
    public void Build_LaysPairsOutRoundRobin_WithDocumentTargets()
    {
        var tok = new WordTokenizer(bertSpecials: false);
        // doc00: 12 words → 3 pairs of 2-word spans; doc01: 4 words → 1 pair; doc02: 9 words → 2 pairs.
        TextDocument[] docs = [Document(0, 12), Document(1, 4), Document(2, 9)];
        using var set = TextPairDataset.Build(tok, docs, [7, 8, 9], new TextEncodingOptions(MaxLength: 2, PadTokenId: 0, AddSpecialTokens: false), "t");
        using var scope = new DisposeScope();
        Assert.Equal([6L, 2, 2], set.Inputs.Shape);
        // Round 0: doc00, doc01, doc02; round 1: doc00, doc02; round 2: doc00.
        Assert.Equal([7L, 8, 9, 7, 9, 7], set.Targets.ToArray<long>());
        string Text(int row, int side) => tok.Decode([.. set.Inputs[row][side].ToArray<long>().Select(i => (int)i)]);
        Assert.Equal(("d0w0 d0w1", "d0w2 d0w3"), (Text(0, 0), Text(0, 1)));
        Assert.Equal(("d1w0 d1w1", "d1w2 d1w3"), (Text(1, 0), Text(1, 1)));
        Assert.Equal(("d2w4 d2w5", "d2w6 d2w7"), (Text(4, 0), Text(4, 1)));
        Assert.Equal(("d0w8 d0w9", "d0w10 d0w11"), (Text(5, 0), Text(5, 1)));
    }

    [Fact]
    public void Build_WithSpecialTokens_SpansLeaveRoomForThem()
    {
        var tok = new WordTokenizer();
        // max_length 5 with [CLS] … [SEP]: spans of 3 words.
        using var set = TextPairDataset.Build(tok, [Document(0, 7)], [0], new TextEncodingOptions(5, 0, AddSpecialTokens: true), "t");
        using var scope = new DisposeScope();
        Assert.Equal([1L, 2, 5], set.Inputs.Shape);
        var row = set.Inputs[0].ToArray<long>();
        Assert.Equal([WordTokenizer.Cls, tok.Id("d0w0"), tok.Id("d0w1"), tok.Id("d0w2"), WordTokenizer.Sep], row.Take(5).Select(i => (int)i));
        Assert.Equal([WordTokenizer.Cls, tok.Id("d0w3"), tok.Id("d0w4"), tok.Id("d0w5"), WordTokenizer.Sep], row.Skip(5).Select(i => (int)i));
    }

    [Fact]
    public void Load_SplitsByDocument_NoDocumentInBothSplits_EveryPairKept()
    {
        var tok = new WordTokenizer(bertSpecials: false);
        var docs = Enumerable.Range(0, 10).Select(d => Document(d, 20 + (4 * d))).ToList();
        var (train, eval) = TextPairDataset.Load(tok, docs, new TextEncodingOptions(4, 0, false), testFraction: 0.2, seed: 3, stratum: null, "t");
        using (train)
        using (eval)
        using (var scope = new DisposeScope())
        {
            var trainDocs = train.Targets.ToArray<long>().ToHashSet();
            var evalDocs = eval!.Targets.ToArray<long>().ToHashSet();
            Assert.Equal(8, trainDocs.Count);
            Assert.Equal(2, evalDocs.Count);
            Assert.Empty(trainDocs.Intersect(evalDocs));
            // Document d has 20 + 4d words: (20 + 4d) / 8 pairs of 4-word spans, all on its side.
            long Pairs(IEnumerable<long> ds) => ds.Sum(d => (20 + (4 * d)) / 8);
            Assert.Equal(Pairs(trainDocs), train.Count);
            Assert.Equal(Pairs(evalDocs), eval.Count);
            // Each row's words come from the document its target names.
            var x = train.Inputs.ToArray<long>();
            var y = train.Targets.ToArray<long>();
            for (var r = 0; r < y.Length; r++)
            {
                Assert.All(x.AsSpan(r * 8, 8).ToArray(), id => Assert.StartsWith($"d{y[r]}w", tok.Decode([(int)id]), StringComparison.Ordinal));
            }
            // The same seed splits the same way; the split is the language-modelling one (SeededSplit by name).
            var (expectedTrain, _) = SeededSplit.Split(docs, d => d.Name, _ => "", 0.2, 3);
            Assert.Equal(expectedTrain.Select(d => (long)docs.IndexOf(d)).Order(), trainDocs.Order());
        }
    }

    [Fact]
    public void Load_ZeroTestFraction_NoEvaluationSet()
    {
        var (train, eval) = TextPairDataset.Load(new WordTokenizer(), [Document(0, 30), Document(1, 30)], new TextEncodingOptions(6, 0, true), 0, 0, null, "t");
        using (train)
        {
            Assert.Null(eval);
            Assert.Equal(2 * 3, train.Count); // 30 words in spans of 4: 7 spans → 3 pairs each
        }
    }

    [Fact]
    public void Errors_NameTheKeys()
    {
        var tok = new WordTokenizer();
        var room = Assert.Throws<ArgumentException>(() => TextPairDataset.Build(tok, [Document(0, 10)], [0], new TextEncodingOptions(2, 0, true), "t"));
        Assert.Contains("data.max_length 2 leaves no room for text beside the 2 special tokens", room.Message, StringComparison.Ordinal);
        var shortDocs = Assert.Throws<ArgumentException>(() => TextPairDataset.Build(tok, [Document(0, 5)], [0], new TextEncodingOptions(5, 0, true), "tiny corpus"));
        Assert.Contains("tiny corpus: no document is long enough for one pair of 3-token spans (6 tokens); lower data.max_length", shortDocs.Message, StringComparison.Ordinal);
        var word = tok.Id("d0w3");
        var pad = Assert.Throws<ArgumentException>(() => TextPairDataset.Build(tok, [Document(0, 10)], [4], new TextEncodingOptions(4, word, true), "t"));
        Assert.Contains($"t: the pad id {word} ('d0w3') occurs in the text of doc00, and the model masks every token equal to it; set data.pad_token_id", pad.Message, StringComparison.Ordinal);
        var split = Assert.Throws<ArgumentException>(() => TextPairDataset.Load(tok, [Document(0, 30), Document(1, 30)], new TextEncodingOptions(6, 0, true), 0.1, 0, null, "two docs"));
        Assert.Contains("two docs: data.test_fraction 0.1 splits its 2 documents into 2 for training and 0 for evaluation", split.Message, StringComparison.Ordinal);
    }
}
