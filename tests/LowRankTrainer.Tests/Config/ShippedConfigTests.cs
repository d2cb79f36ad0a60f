using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>Every YAML under configs/ validates, and the quickstart says what the README promises.</summary>
public sealed class ShippedConfigTests
{
    private static string ConfigsDir => Path.Combine(ConfigTestFiles.RepoRoot(), "configs");

    public static TheoryData<string> ShippedConfigs()
    {
        var data = new TheoryData<string>();
        foreach (var file in ShippedFiles()) data.Add(file);
        return data;
    }

    private static List<string> ShippedFiles() =>
        Directory.EnumerateFiles(ConfigsDir, "*.y*ml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(ConfigsDir, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();

    [Theory]
    [MemberData(nameof(ShippedConfigs))]
    public void ShippedConfig_Validates_AndItsResolvedFormRoundTrips(string relativePath)
    {
        var config = ConfigTestFiles.Valid(Path.Combine(ConfigsDir, relativePath));
        using var files = new ConfigTestFiles();
        var text = ConfigWriter.Write(config);
        var back = ConfigTestFiles.Valid(files.Write("resolved.yaml", text));
        Assert.Equal(text, ConfigWriter.Write(back));
    }

    [Fact]
    public void TheShippedSet_IncludesTheQuickstartDefaultsAndRecipes()
    {
        var names = ShippedFiles();
        Assert.Contains("quickstart.yaml", names);
        Assert.Contains("defaults/train.yaml", names);
        Assert.Contains("recipes/fashion_mnist/lenet5_full.yaml", names);
        Assert.Contains("recipes/fashion_mnist/mlp_head_only.yaml", names);
        Assert.Contains("recipes/fashion_mnist/mlp_mrl.yaml", names);
    }

    [Fact]
    public void Quickstart_IsTheFashionMnistMlp()
    {
        var c = ConfigTestFiles.Valid(Path.Combine(ConfigsDir, "quickstart.yaml"));
        Assert.Equal(("quickstart", "mlp", "fashion_mnist", "none"), (c.Name, c.Model.Name, c.Data.Dataset, c.Adapter.Method));
        Assert.Equal([256, 128], c.Model.HiddenSizes);
        Assert.Equal(("adamw_torch", 1e-3, 64, 2.0), (c.Train.Optim, c.Train.LearningRate, c.Train.PerDeviceTrainBatchSize, c.Train.NumTrainEpochs));
        Assert.Equal(("linear", 0.05), (c.Train.LrSchedulerType, c.Train.WarmupRatio));
        Assert.Equal(("epoch", "epoch", 2, 100), (c.Eval.EvalStrategy, c.Checkpoint.SaveStrategy, c.Checkpoint.SaveTotalLimit, c.Logging.LoggingSteps));
    }

    [Fact]
    public void BrownPairsRecipe_TrainsA4LayerD64BertWithMatryoshka2d()
    {
        var c = ConfigTestFiles.Valid(Path.Combine(ConfigsDir, "recipes", "brown_pairs", "bert_matryoshka_2d.yaml"));
        Assert.Equal(("bert", "brown_pairs", "matryoshka_2d"), (c.Model.Name, c.Data.Dataset, c.Loss.Type));
        Assert.Equal([8, 16, 32, 64], c.Loss.Matryoshka.Dims);
        Assert.Equal((1, 1, 0.3), (c.Loss.Matryoshka2d.NLayersPerStep, c.Loss.Matryoshka2d.NDimsPerStep, c.Loss.Matryoshka2d.KlTemperature));
        // Paths in the recipe are relative to the repository root, where lrt runs.
        var root = ConfigTestFiles.RepoRoot();
        Assert.True(File.Exists(Path.Combine(root, c.Data.Tokenizer!)), c.Data.Tokenizer);
        var shape = LowRankTrainer.Models.Transformers.TransformerShape.TryRead(c.Model with { HfConfig = Path.Combine(root, c.Model.HfConfig!) });
        Assert.NotNull(shape);
        Assert.Equal((4, 64), (shape.Layers, shape.HiddenSize));
    }

    [Fact]
    public void Recipes_InheritTheDefaults()
    {
        var lenet = ConfigTestFiles.Valid(Path.Combine(ConfigsDir, "recipes", "fashion_mnist", "lenet5_full.yaml"));
        Assert.Equal(("lenet5", 5.0, 0.05, 100), (lenet.Model.Name, lenet.Train.NumTrainEpochs, lenet.Train.WarmupRatio, lenet.Logging.LoggingSteps));
        var head = ConfigTestFiles.Valid(Path.Combine(ConfigsDir, "recipes", "fashion_mnist", "mlp_head_only.yaml"));
        Assert.Equal(["layers.4"], head.Adapter.ModulesToSave);
        Assert.Equal(("epoch", 2), (head.Checkpoint.SaveStrategy, head.Checkpoint.SaveTotalLimit));
    }
}
