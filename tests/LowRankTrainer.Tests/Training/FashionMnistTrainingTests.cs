using LowRankTrainer.Config;
using LowRankTrainer.Training;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Training;

/// <summary>A [Fact] that runs only when the environment variable LRT_QUICKSTART=1 is set (it takes about a minute).</summary>
public sealed class QuickstartFactAttribute : FactAttribute
{
    public QuickstartFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("LRT_QUICKSTART") != "1") Skip = "set LRT_QUICKSTART=1 to run the ~1 minute quickstart";
    }
}

/// <summary>The real Fashion-MNIST (Debian's dataset-fashion-mnist): a fast smoke test and the gated quickstart.</summary>
public class FashionMnistTrainingTests(ITestOutputHelper output)
{
    private static ExperimentConfig Quickstart(string outputDir, int maxSteps, double epochs) => new()
    {
        Name = "quickstart",
        Model = new ModelConfig { Name = "mlp", HiddenSizes = [256, 128] },
        Train = new TrainConfig
        {
            OutputDir = outputDir, MaxSteps = maxSteps, NumTrainEpochs = epochs, PerDeviceTrainBatchSize = 64,
            LearningRate = 1e-3, LrSchedulerType = "linear", WarmupRatio = 0.05, NumThreads = 2,
        },
        Eval = new EvalConfig { EvalStrategy = "epoch", PerDeviceEvalBatchSize = 1000 },
        Checkpoint = new CheckpointConfig { SaveStrategy = "epoch", SaveTotalLimit = 1 },
        Logging = new LoggingConfig { LoggingSteps = 100 },
    };

    [Fact]
    public void Run_50Steps_LearnsSomething()
    {
        var root = Path.Combine(Path.GetTempPath(), "lrt-fmnist-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = new Trainer(Quickstart(root, 50, 1), "name: quickstart\n", TextWriter.Null, new TrainerOptions { Interactive = false }).Run();
            output.WriteLine($"50 steps: {result.Summary.TrainRuntime:F1} s, eval accuracy {result.Summary.EvalAccuracy:P2}");
            Assert.True(result.Summary.EvalAccuracy > 0.6, $"accuracy {result.Summary.EvalAccuracy}");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [QuickstartFact]
    public void Quickstart_Mlp2Epochs_Reaches85Percent()
    {
        var root = Path.Combine(Path.GetTempPath(), "lrt-quickstart-" + Guid.NewGuid().ToString("N"));
        try
        {
            var console = new StringWriter();
            var result = new Trainer(Quickstart(root, -1, 2), "name: quickstart\n", console, new TrainerOptions { Interactive = false }).Run();
            output.WriteLine(console.ToString());
            output.WriteLine($"quickstart: {result.Summary.TrainRuntime:F1} s, {result.Summary.TrainSamplesPerSecond:F0} samples/s, eval accuracy {result.Summary.EvalAccuracy:P2}");
            Assert.True(result.Summary.EvalAccuracy >= 0.85, $"accuracy {result.Summary.EvalAccuracy}");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
