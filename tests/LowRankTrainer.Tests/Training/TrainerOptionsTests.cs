using System.Globalization;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>Console modes, strategies, tabular data and optimizer grouping.</summary>
public class TrainerOptionsTests
{
    [Fact]
    public void Console_Interactive_RedrawsOneLineWithEta_PlainModePrintsLines()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with { Logging = new LoggingConfig { LoggingSteps = 5 } };
        var interactive = new StringWriter();
        var result = new Trainer(config, TinyRun.Yaml, interactive, new TrainerOptions { TrainData = tiny.Train, EvalData = tiny.Eval, Interactive = true }).Run();
        Assert.Contains("\rstep 20/20 | loss ", interactive.ToString(), StringComparison.Ordinal);
        Assert.Contains("ETA 0:00:00", interactive.ToString(), StringComparison.Ordinal);
        var log = File.ReadAllText(Path.Combine(result.RunDirectory, "train.log"));
        Assert.Contains("step 5/20 | loss ", log, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", log, StringComparison.Ordinal);

        var plain = new StringWriter();
        new Trainer(config, TinyRun.Yaml, plain, new TrainerOptions { TrainData = tiny.Train, EvalData = tiny.Eval, Interactive = false }).Run();
        var lines = plain.ToString().Split('\n');
        Assert.DoesNotContain("\r", plain.ToString(), StringComparison.Ordinal);
        Assert.Equal(4, lines.Count(l => l.StartsWith("step ", StringComparison.Ordinal) && l.Contains("samples/s", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("trainable params: 676 || all params: 676", StringComparison.Ordinal));
    }

    [Fact]
    public void EpochStrategies_EvaluateAndSaveAtEpochEnds()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with
        {
            Train = tiny.Config().Train with { MaxSteps = -1, NumTrainEpochs = 2.5 }, // ⌈2.5 · 16 / 2⌉ = 20 steps
            Eval = new EvalConfig { EvalStrategy = "epoch" },
            Checkpoint = new CheckpointConfig { SaveStrategy = "epoch" },
        };
        var result = tiny.Run(config);
        Assert.Equal(20, result.Summary.MaxSteps);
        var names = Directory.GetDirectories(Path.Combine(result.RunDirectory, "checkpoints")).Select(d => Path.GetFileName(d)!).Order().ToArray();
        Assert.Equal(["step-000008", "step-000016"], names);
        var evals = File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl")).Where(l => l.Contains("\"eval\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, evals.Count); // epochs 1 and 2, then the final evaluation at step 20
    }

    [Fact]
    public void CsvData_ClassificationAndMseRegression_Train()
    {
        using var tiny = new TinyRun();
        Directory.CreateDirectory(tiny.Root);
        var csv = Path.Combine(tiny.Root, "toy.csv");
        var rows = new List<string> { "a,b,label,target" };
        for (var i = 0; i < 200; i++)
        {
            var a = ((i * 37) % 100) / 50.0 - 1;
            var b = ((i * 61) % 100) / 50.0 - 1;
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"{a},{b},{(a + b > 0 ? "pos" : "neg")},{(2 * a) - b}"));
        }
        File.WriteAllLines(csv, rows);
        var baseConfig = new ExperimentConfig
        {
            Name = "csv",
            Model = new ModelConfig { HiddenSizes = [16], NumClasses = 2 },
            Data = new DataConfig { Dataset = "csv", Path = csv, EvalPath = csv, FeatureColumns = ["a", "b"], LabelColumn = "label" },
            Train = new TrainConfig { OutputDir = Path.Combine(tiny.Root, "runs"), MaxSteps = 60, PerDeviceTrainBatchSize = 20, LearningRate = 3e-2 },
            Checkpoint = new CheckpointConfig { SaveStrategy = "no" },
        };
        var classification = new Trainer(baseConfig, "", TextWriter.Null, new TrainerOptions { Interactive = false }).Run();
        Assert.True(classification.Summary.EvalAccuracy > 0.9, $"accuracy {classification.Summary.EvalAccuracy}");

        var regressionConfig = baseConfig with
        {
            Model = baseConfig.Model with { NumClasses = 1 },
            Loss = new LossConfig { Name = "mse" },
            Data = baseConfig.Data with { LabelColumn = "target" },
        };
        var regression = new Trainer(regressionConfig, "", TextWriter.Null, new TrainerOptions { Interactive = false }).Run();
        Assert.Null(regression.Summary.EvalAccuracy);
        Assert.True(regression.Summary.EvalLoss < 0.05, $"mse {regression.Summary.EvalLoss}");
    }

    [Fact]
    public void OptimizerGroups_BiasesAndNormWeightsGetNoDecay()
    {
        using var g = new Generator(1);
        using var model = new Mlp(4, [3], 2, 0, g);
        var trainable = model.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).ToList();
        var groups = OptimizerSetup.Groups(model, trainable, 0.1);
        Assert.Equal(2, groups.Count);
        Assert.Equal([model.GetParameter("layers.0.weight").Value, model.GetParameter("layers.2.weight").Value], groups[0].Parameters);
        Assert.Equal([model.GetParameter("layers.0.bias").Value, model.GetParameter("layers.2.bias").Value], groups[1].Parameters);
        using var optimizer = OptimizerSetup.CreateOptimizer(new TrainConfig { WeightDecay = 0.1 }, groups);
        Assert.Equal(0.1, optimizer.ParamGroups[0].WeightDecay);
        Assert.Equal(0.0, optimizer.ParamGroups[1].WeightDecay);

        using var norm = new LayerNorm([4]);
        var normGroups = OptimizerSetup.Groups(norm, norm.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).ToList(), 0.1);
        Assert.Single(normGroups); // weight and bias of a norm layer: no decay
    }

    [Fact]
    public void FusedAdamW_Optim_TrainsLikeTheForeachAdamW()
    {
        using var tiny = new TinyRun();
        var baseConfig = tiny.Config() with { Checkpoint = new CheckpointConfig { SaveStrategy = "no" } };
        var plain = tiny.Run(baseConfig with { Train = baseConfig.Train with { OutputDir = Path.Combine(tiny.Root, "plain") } });
        var fused = tiny.Run(baseConfig with { Train = baseConfig.Train with { OutputDir = Path.Combine(tiny.Root, "fused"), Optim = "adamw_torch_fused" } });
        Assert.Equal(("success", 20L), (fused.Summary.Status, fused.Summary.GlobalStep));
        Assert.True(fused.Summary.EvalAccuracy > 0.95, $"accuracy {fused.Summary.EvalAccuracy}");
        // The same run: bit-identical where libtorch runs its AVX2 kernels, else to float32 rounding.
        Assert.Equal(plain.Summary.EvalAccuracy, fused.Summary.EvalAccuracy);
        Assert.True(Math.Abs(plain.Summary.TrainLoss!.Value - fused.Summary.TrainLoss!.Value) < 1e-4,
                    $"train loss {fused.Summary.TrainLoss} (fused) vs {plain.Summary.TrainLoss}");
        var a = TinyRun.Weights(Path.Combine(plain.RunDirectory, "final"));
        var b = TinyRun.Weights(Path.Combine(fused.RunDirectory, "final"));
        try
        {
            foreach (var (name, t) in a) Assert.True(t.AllClose(b[name], 1e-4, 1e-6), $"{name} differs between adamw_torch and adamw_torch_fused");
        }
        finally
        {
            TinyRun.Free(a);
            TinyRun.Free(b);
        }

        using var g = new Generator(1);
        using var model = new Mlp(4, [3], 2, 0, g);
        var groups = OptimizerSetup.Groups(model, model.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).ToList(), 0.1);
        using var optimizer = OptimizerSetup.CreateOptimizer(new TrainConfig { Optim = "adamw_torch_fused" }, groups);
        Assert.True(Assert.IsType<LowRankTrainer.Torch.Optim.AdamW>(optimizer).Fused);
    }

    [Fact]
    public void UnknownStrategy_IsAConfigError()
    {
        using var tiny = new TinyRun();
        var e = Assert.Throws<ArgumentException>(() => tiny.Run(tiny.Config() with { Eval = new EvalConfig { EvalStrategy = "step" } }));
        Assert.Contains("eval.eval_strategy must be no, steps or epoch (got 'step')", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lenet5", "classifier.4")]
    [InlineData("cnn", "classifier")]
    public void ImageModels_TrainOnImages_AndFreezeToTheirHead(string name, string head)
    {
        using var tiny = new TinyRun();
        using var g = new Generator(3);
        using var scope = new DisposeScope();
        using var images = new LowRankTrainer.Data.TensorDataset(Tensor.Rand([48, 1, 28, 28], g), Tensor.RandInt(0, 10, [48], g));
        var config = tiny.Config() with
        {
            Model = new ModelConfig { Name = name },
            Adapter = new AdapterConfig { ModulesToSave = [head] },
            Train = tiny.Config().Train with { MaxSteps = 3 },
        };
        var result = new Trainer(config, TinyRun.Yaml, TextWriter.Null, new TrainerOptions { TrainData = images, EvalData = images, Interactive = false }).Run();
        Assert.Equal(3, result.Summary.GlobalStep);
        Assert.Equal(name == "cnn" ? 31_370 : 850, result.Summary.NumTrainableParams);
    }
}
