using System.Diagnostics;
using LowRankTrainer.Data.Text;
using LowRankTrainer.Tests.Tokenizers;
using LowRankTrainer.Torch;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Data.Text;

/// <summary>The corpus, read once for the class (under a second).</summary>
public sealed class BrownFixture
{
    private readonly Lazy<List<TextDocument>> _documents = new(() => BrownCorpus.ReadAll());

    public List<TextDocument> Documents => _documents.Value;
}

// Independent counts (python3): 500 files matching c[a-r][0-9][0-9]; 1,161,192 whitespace-separated word/tag
// tokens; genres a 44, b 27, c 17, d 17, e 36, f 48, g 75, h 30, j 80, k 29, l 24, m 6, n 29, p 29, r 9.
[Collection(CorpusTests.Name)]
public class BrownCorpusTests(BrownFixture fixture, ITestOutputHelper output) : IClassFixture<BrownFixture>
{
    [BrownFact]
    public void ReadAll_Has500Documents_Ca01ToCr09_SkippingThePackagesOtherFiles()
    {
        var docs = fixture.Documents;
        Assert.Equal(BrownCorpus.DocumentCount, docs.Count);
        Assert.Equal("ca01", docs[0].Name);
        Assert.Equal("cr09", docs[^1].Name);
        Assert.DoesNotContain(docs, d => d.Name is "CONTENTS" or "README" or "cats.txt" or "package.json");
        var genres = docs.GroupBy(BrownCorpus.Genre).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(15, genres.Count);
        Assert.Equal((44, 80, 6), (genres["a"], genres["j"], genres["m"]));
        // Whitespace-separated words after detokenizing: the corpus's 1,161,192 tokens less the glued punctuation.
        var words = docs.Sum(d => d.Text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length);
        output.WriteLine($"{words} words after detokenizing, {docs.Sum(d => d.Text.Length)} characters");
        Assert.InRange(words, 950_000, 1_050_000);
    }

    [BrownFact]
    public void Ca01_StartsWithItsFirstParagraphs_TagsStripped()
    {
        var text = fixture.Documents[0].Text;
        var paragraphs = text.Split('\n');
        Assert.Equal("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place.", paragraphs[0]);
        Assert.Equal("The jury further said in term-end presentments that the City Executive Committee, which had over-all charge of the election, \"deserves the praise and thanks of the City of Atlanta\" for the manner in which the election was conducted.", paragraphs[1]);
        Assert.DoesNotContain("/at", text, StringComparison.Ordinal);
        Assert.DoesNotContain("``", text, StringComparison.Ordinal);
        Assert.DoesNotContain("''", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" ,", text, StringComparison.Ordinal);
    }

    [BrownFact]
    public void Split_100EvalDocuments_StratifiedByGenre_Deterministic()
    {
        var docs = fixture.Documents;
        var (train, test) = SeededSplit.Split(docs, d => d.Name, BrownCorpus.Genre, 0.2, seed: 0);
        Assert.Equal((400, 100), (train.Count, test.Count));
        Assert.Equal(16, test.Count(d => BrownCorpus.Genre(d) == "j")); // round(80 × 0.2)
        Assert.Equal(1, test.Count(d => BrownCorpus.Genre(d) == "m"));  // round(6 × 0.2 = 1.2)
        Assert.Empty(train.Intersect(test));
        Assert.Equal(test, SeededSplit.Split(docs, d => d.Name, BrownCorpus.Genre, 0.2, seed: 0).Test);
        Assert.NotEqual(test.Select(d => d.Name).Order(), SeededSplit.Split(docs, d => d.Name, BrownCorpus.Genre, 0.2, seed: 1).Test.Select(d => d.Name).Order());
    }

    [Gpt2VocabFact]
    public void Gpt2_PackedCorpus_SizeAndShapes_EosBetweenDocuments()
    {
        if (DataArtifactsPresent() is false) return;
        var tok = Gpt2Files.Tokenizer;
        var watch = Stopwatch.StartNew();
        var (train, test) = SeededSplit.Split(fixture.Documents, d => d.Name, BrownCorpus.Genre, 0.2, seed: 0);
        var trainStream = LmBlocks.Stream(tok, train, eosId: 50256);
        var testStream = LmBlocks.Stream(tok, test, eosId: 50256);
        output.WriteLine($"GPT-2 tokens (EOS included): train {trainStream.Count} (400 documents), eval {testStream.Count} (100), total {trainStream.Count + testStream.Count}; tokenizing took {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(399, trainStream.Count(id => id == 50256));
        Assert.Equal(99, testStream.Count(id => id == 50256));
        Assert.InRange(trainStream.Count + testStream.Count, 1_200_000, 1_600_000);

        using var data = LmBlocks.Pack(trainStream, 128, "brown");
        using var scope = new DisposeScope();
        Assert.Equal([(long)(trainStream.Count / 129), 128], data.Inputs.Shape);
        // Row 0 is the stream's first 129 tokens: inputs 0..127, targets 1..128.
        Assert.Equal(trainStream.Take(128).Select(i => (long)i), data.Inputs[0].ToArray<long>());
        Assert.Equal(trainStream.Skip(1).Take(128).Select(i => (long)i), data.Targets[0].ToArray<long>());
        Assert.Equal(tok.Encode(train[0].Text).Take(128).Select(i => (long)i), data.Inputs[0].ToArray<long>());
    }

    private static bool DataArtifactsPresent() => LowRankTrainer.Data.DataArtifacts.Find(BrownCorpus.PackageFolder, "ca01") is not null;
}
