using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>The resolved-config writer: stable order, every default, and a loss-free round trip.</summary>
public sealed class ConfigWriterTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private ExperimentConfig RoundTrip(ExperimentConfig config)
    {
        var text = ConfigWriter.Write(config);
        var path = _files.Write("resolved.yaml", text);
        var back = ConfigTestFiles.Valid(path);
        Assert.Equal(text, ConfigWriter.Write(back));
        return back;
    }

    [Fact]
    public void Defaults_WriteEveryKey_InSchemaOrder_AndLoadBack()
    {
        var text = ConfigWriter.Write(new ExperimentConfig { Name = "x" });
        var lines = text.Split('\n');
        Assert.Equal(["name: x", "model:", "  name: mlp", "  hidden_sizes: [256, 256]"], lines[..4]);
        Assert.Contains("  eval_strategy: epoch", lines);
        Assert.Contains("  save_total_limit: null", lines);
        Assert.Contains("  adam_epsilon: 1e-08", lines);
        Assert.Contains("  modules_to_save: []", lines);
        var sections = lines.Where(l => l.Length > 0 && !l.StartsWith(' ')).ToArray();
        Assert.Equal(["name: x", "model:", "adapter:", "loss:", "data:", "train:", "eval:", "checkpoint:", "logging:"], sections);
        var back = RoundTrip(new ExperimentConfig { Name = "x" });
        Assert.Equal(new ExperimentConfig().Train, back.Train);
    }

    [Fact]
    public void NonDefaults_AndAwkwardStrings_SurviveTheRoundTrip()
    {
        var config = new ExperimentConfig
        {
            Name = "run: #1 \"quoted\"",
            Model = new() { Name = "mlp", HiddenSizes = [], Dropout = 0.25, NumClasses = 3 },
            Adapter = new() { ModulesToSave = ["layers.4", "no", "123", "a b"] },
            Data = new() { Dataset = "jsonl", Path = "data/train set.jsonl", EvalPath = "C:\\data\\eval.jsonl", FeatureColumns = ["text"], LabelColumn = "true", Shuffle = false },
            Train = new()
            {
                LearningRate = 3e-4, NumTrainEpochs = 0.5, MaxSteps = 100, Optim = "sgd", Momentum = 0.9, Nesterov = true,
                WarmupSteps = 10, DataSeed = 123, Device = "cuda:1", NumThreads = 2, ResumeFromCheckpoint = "auto", RunName = "null",
                MaxGradNorm = 0.1 + 0.2,
            },
            Eval = new() { EvalStrategy = "no", EvalSteps = 7 },
            Checkpoint = new() { SaveStrategy = "steps", SaveTotalLimit = 3 },
            Logging = new() { LoggingSteps = 1, LoggingFirstStep = true },
        };
        var back = RoundTrip(config);
        Assert.Equal(config.Name, back.Name);
        Assert.Equal(config.Adapter.ModulesToSave, back.Adapter.ModulesToSave);
        Assert.Equal(config.Data.EvalPath, back.Data.EvalPath);
        Assert.Equal("true", back.Data.LabelColumn);
        Assert.Equal("null", back.Train.RunName);
        Assert.Equal(0.1 + 0.2, back.Train.MaxGradNorm);   // shortest round-trip formatting, bit-exact
        Assert.Equal(config.Train, back.Train);
        Assert.Equal(config.Eval, back.Eval);
        Assert.Equal(config.Checkpoint, back.Checkpoint);
        Assert.Equal(config.Logging, back.Logging);
        Assert.Empty(back.Model.HiddenSizes);
    }

    [Fact]
    public void ResolvedConfig_OfAnInheritingFileWithOverrides_IsSelfContained()
    {
        _files.Write("base.yaml", "train:\n  seed: 5\n  learning_rate: 2e-3\n");
        var child = _files.Write("sub/child.yaml", "base: ../base.yaml\nmodel:\n  hidden_sizes: [32]\n");
        var config = ConfigTestFiles.Valid(child, "train.learning_rate=1e-4");
        var saved = Path.Combine(_files.Root, "elsewhere", "config.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(saved)!);
        ConfigWriter.Save(config, saved);
        var back = ConfigTestFiles.Valid(saved);
        Assert.Equal((5, 1e-4, "child"), (back.Train.Seed, back.Train.LearningRate, back.Name));
        Assert.Equal([32], back.Model.HiddenSizes);
        Assert.DoesNotContain("base:", File.ReadAllText(saved), StringComparison.Ordinal);
    }
}
