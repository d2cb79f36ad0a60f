using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Intrinsic;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// The trainer with <c>model.name: lenet5</c> and <c>adapter.method: intrinsic</c> on real Fashion-MNIST (the first
/// 6,400 training and 1,000 test images): Li et al.'s LeNet setup, every parameter (convolutions included, D = 44,426)
/// moving along θ0 + P θ_d with d = 300. It trains, its adapter reloads onto a fresh base and reproduces the final eval
/// loss bit for bit, and a stop-and-resume at step 50 ends where the straight run does. A LoRA config naming a conv
/// fails before any run folder exists.
/// </summary>
// Serial: the bit-identical resume needs the process-global torch RNG untouched by tests running alongside.
[Collection(TrainingSerial.Name)]
public sealed class IntrinsicLeNetTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lrt-lenet-intrinsic-" + Guid.NewGuid().ToString("N"));
    private readonly TensorDataset _train = Head(FashionMnistSplit.Train, 6_400);
    private readonly TensorDataset _eval = Head(FashionMnistSplit.Test, 1_000);

    private static TensorDataset Head(FashionMnistSplit split, long n)
    {
        using var all = FashionMnist.Load(split, normalize: true);
        using var scope = new DisposeScope();
        return new TensorDataset(all.Inputs.Narrow(0, 0, n).Clone().DetachFromScope(), all.Targets.Narrow(0, 0, n).Clone().DetachFromScope());
    }

    /// <summary>100 steps of Adam, batch 64, lr 1e-1 constant (subspace training wants a larger rate than direct training; 1e-2 barely moves LeNet in 100 steps), a checkpoint at 50.</summary>
    private ExperimentConfig Config(string outputName) => new()
    {
        Name = "lenet_intrinsic",
        Model = new ModelConfig { Name = "lenet5" },
        Adapter = new AdapterConfig { Method = "intrinsic", D = 300, TargetModules = [TargetSelector.All] },
        Train = new TrainConfig
        {
            OutputDir = Path.Combine(_root, outputName), MaxSteps = 100, PerDeviceTrainBatchSize = 64, LearningRate = 1e-1,
            LrSchedulerType = "constant", WarmupRatio = 0, Seed = 1, MaxGradNorm = 0,
            Device = "cpu",  // CPU semantics: exact reload and bit-identical resume
        },
        Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 100, PerDeviceEvalBatchSize = 500 },
        Checkpoint = new CheckpointConfig { SaveStrategy = "steps", SaveSteps = 50 },
        Logging = new LoggingConfig { LoggingSteps = 25, LoggingFirstStep = true },
    };

    private TrainResult Run(ExperimentConfig config, TextWriter console, Action<long>? onStep = null, CancellationToken token = default) =>
        new Trainer(config, TinyRun.Yaml, console, new TrainerOptions { TrainData = _train, EvalData = _eval, Interactive = false, StepCompleted = onStep }).Run(token);

    [Fact]
    public void LeNetIntrinsic_D300_100Steps_Trains_ReloadsExactly_AndResumesBitIdentically()
    {
        var console = new StringWriter();
        var config = Config("straight");
        var result = Run(config, console);
        var s = result.Summary;
        output.WriteLine($"first loss {s.FirstTrainLoss:F4}, last-window loss {s.TrainLoss:F4}, eval accuracy {s.EvalAccuracy:P1}, {s.TrainRuntime:F1} s");
        Assert.Contains("adapter: intrinsic on 5 layer(s): features.0, features.3, classifier.0, classifier.2, classifier.4", console.ToString(), StringComparison.Ordinal);
        Assert.Equal(300, s.NumTrainableParams);
        Assert.Equal(44_426 + 300, s.NumTotalParams);
        // Loss falls: from about ln 10 at θ0 to well below it; accuracy far above chance (10 %).
        Assert.InRange(s.FirstTrainLoss!.Value, 2.0, 2.6);
        Assert.True(s.TrainLoss < 0.6 * s.FirstTrainLoss, $"loss {s.FirstTrainLoss} → {s.TrainLoss}");
        Assert.True(s.EvalAccuracy > 0.5, $"accuracy {s.EvalAccuracy}");

        // The saved adapter onto a fresh LeNet from train.seed: the final eval loss again, bit for bit; the convs moved.
        var final = Path.Combine(result.RunDirectory, "final");
        using var g = new Generator(1);
        using var model = ModelFactory.Create(config.Model, g);
        var adapted = AdapterCheckpoint.Load(model, final);
        Assert.Equal(5, adapted.Layers.Count);
        var conv = Assert.IsType<IntrinsicConv2d>(adapted.Layers[0].Layer);
        using (var scope = new DisposeScope())
        using (Autograd.NoGrad())
        {
            Assert.True(conv.DeltaWeight().Abs().Max().ToDouble() > 1e-4, "the first conv's weights should have moved");
        }
        var eval = new LossFunction(config.Loss).Evaluate(model, _eval, config.Eval.PerDeviceEvalBatchSize);
        Assert.Equal(s.EvalLoss, eval.Loss);

        // Stop after step 50 (a checkpoint is written there), resume in a fresh trainer: the same θ and eval loss at 100.
        using var cts = new CancellationTokenSource();
        var stopped = Run(Config("stopped"), TextWriter.Null, step => { if (step == 50) cts.Cancel(); }, cts.Token);
        Assert.True(stopped.Cancelled);
        var checkpoint = Path.Combine(stopped.RunDirectory, "checkpoints", "step-000050");
        var resumedConfig = Config("resumed");
        var resumed = Run(resumedConfig with { Train = resumedConfig.Train with { ResumeFromCheckpoint = checkpoint } }, TextWriter.Null);
        Assert.Equal(100, resumed.Summary.GlobalStep);
        Assert.Equal(s.EvalLoss, resumed.Summary.EvalLoss);
        var a = SafetensorsFile.ReadAll(Path.Combine(final, AdapterCheckpoint.WeightsFile));
        var c = SafetensorsFile.ReadAll(Path.Combine(resumed.RunDirectory, "final", AdapterCheckpoint.WeightsFile));
        try
        {
            Assert.Equal(["base_model.intrinsic_theta"], a.Keys);
            Assert.True(a["base_model.intrinsic_theta"].ValueEquals(c["base_model.intrinsic_theta"]));
        }
        finally
        {
            TinyRun.Free(a);
            TinyRun.Free(c);
        }
    }

    [Fact]
    public void LoraConfigNamingAConv_FailsClearly_BeforeAnyRunFolder()
    {
        var config = Config("lora") with { Adapter = new AdapterConfig { Method = "lora", R = 4, TargetModules = ["features.0", "classifier.0"] } };
        var e = Assert.Throws<ArgumentException>(() => Run(config, TextWriter.Null));
        Assert.StartsWith("adapter: adapter target 'features.0' is a Conv2d; lora adapts only Linear layers (Conv2d layers are adapted by intrinsic)", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(config.Train.OutputDir));
    }

    public void Dispose()
    {
        _train.Dispose();
        _eval.Dispose();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
