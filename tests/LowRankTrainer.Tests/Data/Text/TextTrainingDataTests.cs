using LowRankTrainer.Config;
using LowRankTrainer.Tests.Tokenizers;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Data.Text;

/// <summary>data.* → TrainingData for the text datasets, with the real GPT-2 tokenizer folder.</summary>
[Collection(CorpusTests.Name)]
public class TextTrainingDataTests
{
    private static readonly LossConfig Loss = new();

    private static string WriteJsonl(TestPaths.TempDir dir, string name, int rows)
    {
        var path = dir.File(name);
        File.WriteAllLines(path, Enumerable.Range(0, rows).Select(i => $"{{\"text\": \"mail number {i} says {(i % 3 == 0 ? "buy now" : "hello")}\", \"label\": \"{(i % 3 == 0 ? "spam" : "ham")}\"}}"));
        return path;
    }

    [Gpt2VocabFact]
    public void TextJsonl_WithEvalFile_TokenizesBoth_PadsWithTheConfiguredId_NamesClasses()
    {
        using var dir = new TestPaths.TempDir();
        var config = new DataConfig
        {
            Dataset = "text_jsonl", Path = WriteJsonl(dir, "train.jsonl", 12), EvalPath = WriteJsonl(dir, "eval.jsonl", 3),
            Tokenizer = Gpt2Files.VocabDir, PadTokenId = 50256, MaxLength = 16,
        };

        using var data = TrainingData.Load(config, Loss);
        using var scope = new DisposeScope();

        Assert.Equal(12, data.Train.Count);
        Assert.Equal(3, data.Eval!.Count);
        Assert.Equal(["ham", "spam"], data.Train.ClassNames);
        Assert.Equal([1L, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0], data.Train.Targets.ToArray<long>());
        Assert.Equal(50256, data.PadTokenId);
        var first = Gpt2Files.Tokenizer.Encode("mail number 0 says buy now");
        var row = data.Train.Inputs[0].ToArray<long>();
        Assert.Equal(first.Select(i => (long)i), row.Take(first.Length));
        Assert.All(row.Skip(first.Length), id => Assert.Equal(50256L, id));
    }

    [Gpt2VocabFact]
    public void TextCsv_WithoutEvalFile_IsSplitByTestFraction_AndCappedByMaxSamples()
    {
        using var dir = new TestPaths.TempDir();
        var path = dir.File("train.csv");
        File.WriteAllLines(path, ["label,text", .. Enumerable.Range(0, 20).Select(i => $"{i % 2},\"text {i}, more\"")]);
        var config = new DataConfig { Dataset = "text_csv", Path = path, Tokenizer = Gpt2Files.VocabDir, PadTokenId = 50256, TestFraction = 0.3, MaxSamples = 5 };

        using var data = TrainingData.Load(config, Loss);

        Assert.Equal(5, data.Train.Count);
        Assert.Equal(6, data.Eval!.Count); // round(10 × 0.3) per label
        Assert.Equal(["0", "1"], data.Train.ClassNames);
    }

    [Gpt2VocabFact]
    public void TextJsonl_Gpt2WithoutPadTokenId_NamesTheKey()
    {
        using var dir = new TestPaths.TempDir();
        var config = new DataConfig { Dataset = "text_jsonl", Path = WriteJsonl(dir, "train.jsonl", 3), Tokenizer = Gpt2Files.VocabDir };
        var e = Assert.Throws<ArgumentException>(() => TrainingData.Load(config, Loss));
        Assert.Contains("GPT-2 has none); set data.pad_token_id, e.g. 50256 to pad with <|endoftext|>", e.Message, StringComparison.Ordinal);
    }

    [Gpt2VocabFact]
    public void TextLm_Folder_PacksWithGpt2EndOfText_SplitsByDocument()
    {
        using var dir = new TestPaths.TempDir();
        for (var d = 0; d < 5; d++)
        {
            File.WriteAllText(dir.File($"doc{d}.txt"), string.Join(' ', Enumerable.Repeat($"Document {d} repeats itself.", 40)));
        }
        var config = new DataConfig { Dataset = "text_lm", Path = dir.Path, Tokenizer = Gpt2Files.VocabDir, BlockSize = 32 };

        using var data = TrainingData.Load(config, Loss);
        using var scope = new DisposeScope();

        Assert.Equal(32, data.Train.Inputs.Size(1));
        Assert.Equal([data.Train.Count, 32L], data.Train.Targets.Shape);
        Assert.NotNull(data.Eval);
        Assert.Null(data.PadTokenId);
        Assert.Contains(50256L, data.Train.Inputs.ToArray<long>().Concat(data.Train.Targets.ToArray<long>()));
        using var shifted = data.Train.Inputs.Narrow(1, 1, 31);
        using var targets = data.Train.Targets.Narrow(1, 0, 31);
        Assert.Equal(shifted.ToArray<long>(), targets.ToArray<long>());
    }

    [BrownFact]
    public void Brown_DataPath_PacksTheSampleFilesOfThatFolder()
    {
        if (!Gpt2Files.VocabPresent) return;
        // Three samples copied, so the wiring is checked without tokenizing the whole corpus (the default
        // folder is covered by BrownCorpusTests).
        using var dir = new TestPaths.TempDir();
        var corpus = LowRankTrainer.Data.Text.BrownCorpus.Locate();
        foreach (var name in new[] { "ca01", "ca02", "cb01", "README" }) File.Copy(Path.Combine(corpus, name), dir.File(name));
        var config = new DataConfig { Dataset = "brown", Path = dir.Path, Tokenizer = Gpt2Files.VocabDir, BlockSize = 256, TestFraction = 0.3 };

        using var data = TrainingData.Load(config, Loss);

        // Genre a holds 2 documents (round(2 × 0.3) = 1 held out), genre b 1 (none held out).
        Assert.Equal(256, data.Train.Inputs.Size(1));
        Assert.InRange(data.Train.Count + data.Eval!.Count, 25, 40); // ~8,000 tokens / 257
        Assert.InRange(data.Eval.Count, 7, 16);                      // one of ca01/ca02: ~2,500-3,000 tokens
    }
}
