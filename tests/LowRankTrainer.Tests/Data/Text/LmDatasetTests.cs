using LowRankTrainer.Data.Text;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data.Text;

public class LmDatasetTests
{
    private static List<TextDocument> Documents(int count, int words) =>
        [.. Enumerable.Range(0, count).Select(d => new TextDocument($"doc{d:D2}", string.Join(' ', Enumerable.Range(0, words).Select(w => $"d{d}w{w}"))))];

    [Fact]
    public void Load_SplitsByDocument_NoDocumentOnBothSides()
    {
        var tok = new WordTokenizer();
        var docs = Documents(10, 20);

        var (train, eval) = LmDataset.Load(tok, docs, null, new LmOptions(BlockSize: 4, EosId: WordTokenizer.Eos, TestFraction: 0.2, Seed: 0), null, "test");
        using (train)
        using (eval)
        using (var scope = new DisposeScope())
        {
            // 8 documents of 20 words + 7 EOS = 167 tokens → 33 rows; 2 documents + 1 EOS = 41 → 8 rows.
            Assert.Equal([33L, 4], train.Inputs.Shape);
            Assert.Equal([8L, 4], eval!.Inputs.Shape);
            string DocOf(long id) => tok.Decode([(int)id]) is var w && w.StartsWith('d') ? w[..w.IndexOf('w')] : "";
            var trainDocs = train.Inputs.ToArray<long>().Select(DocOf).Where(d => d.Length > 0).ToHashSet();
            var evalDocs = eval.Inputs.ToArray<long>().Select(DocOf).Where(d => d.Length > 0).ToHashSet();
            Assert.Equal(8, trainDocs.Count);
            Assert.Equal(2, evalDocs.Count);
            Assert.Empty(trainDocs.Intersect(evalDocs));
            // The 7 separators sit at stream positions 20, 41, …, 146: each is an input, or the last target of a row.
            var x = train.Inputs.ToArray<long>();
            var y = train.Targets.ToArray<long>();
            Assert.Equal(7, x.Count(i => i == WordTokenizer.Eos) + Enumerable.Range(0, 33).Count(r => y[r * 4 + 3] == WordTokenizer.Eos));
        }
    }

    [Fact]
    public void Load_SingleDocument_HoldsOutTheTailRows()
    {
        var tok = new WordTokenizer();
        var doc = Documents(1, 50); // 50 tokens → 10 rows of 5

        var (train, eval) = LmDataset.Load(tok, doc, null, new LmOptions(4, null, 0.2, 0), null, "one.txt");
        using (train)
        using (eval)
        using (var scope = new DisposeScope())
        {
            Assert.Equal([8L, 4], train.Inputs.Shape);
            Assert.Equal([2L, 4], eval!.Inputs.Shape);
            Assert.Equal(tok.Id("d0w40"), eval.Inputs.ToArray<long>()[0]);
        }
    }

    [Fact]
    public void Load_EvalDocuments_AreUsedAsTheyAre_ZeroFraction_NoEval()
    {
        var tok = new WordTokenizer();
        var (train, eval) = LmDataset.Load(tok, Documents(2, 10), Documents(1, 10), new LmOptions(4, 3, 0.2, 0), null, "t");
        using (train)
        using (eval)
        {
            Assert.Equal(4, train.Count); // 21 tokens
            Assert.Equal(2, eval!.Count);  // 10 tokens
        }
        var (all, none) = LmDataset.Load(tok, Documents(2, 10), null, new LmOptions(4, 3, 0, 0), null, "t");
        using (all)
        {
            Assert.Null(none);
            Assert.Equal(4, all.Count);
        }
    }
}
