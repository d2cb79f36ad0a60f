using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// A tiny synthetic classification task and config for trainer tests: 4 Gaussian blobs in 16-d
/// (centres ~ N(0, 3²), noise N(0, 1)), 256 training and 128 eval samples, an MLP 16-32-4.
/// </summary>
internal sealed class TinyRun : IDisposable
{
    public const string Yaml = "# tiny test run\nname: tiny\n";

    public TinyRun()
    {
        using var g = new Generator(123);
        using var scope = new DisposeScope();
        var centres = Tensor.Randn([4, 16], g) * 3.0;
        Train = Blobs(centres, 256, g);
        Eval = Blobs(centres, 128, g);
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "lrt-train-" + Guid.NewGuid().ToString("N"));

    public TensorDataset Train { get; }

    public TensorDataset Eval { get; }

    private static TensorDataset Blobs(Tensor centres, long n, Generator g)
    {
        var labels = Tensor.RandInt(0, 4, [n], g);
        var x = centres.IndexSelect(0, labels) + Tensor.Randn([n, 16], g);
        return new TensorDataset(x, labels);
    }

    /// <summary>20 steps of AdamW, batch 16 × accumulation 2 (8 steps per epoch), dropout and shuffling on.</summary>
    public ExperimentConfig Config(string outputName = "runs") => new()
    {
        Name = "tiny",
        Model = new ModelConfig { Name = "mlp", HiddenSizes = [32], NumClasses = 4, Dropout = 0.2 },
        Train = new TrainConfig
        {
            OutputDir = Path.Combine(Root, outputName), MaxSteps = 20, PerDeviceTrainBatchSize = 16, GradientAccumulationSteps = 2,
            LearningRate = 1e-2, WarmupSteps = 3, Seed = 7, MaxGradNorm = 1.0,
            // These tests pin CPU semantics (bit-identical resume, exact reloads): a bf16 CUDA run (auto on a GPU machine)
            // is not bitwise reproducible run to run. CudaTrainingTests override this for the CUDA path.
            Device = "cpu",
        },
        Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 5, PerDeviceEvalBatchSize = 64 },
        Checkpoint = new CheckpointConfig { SaveStrategy = "steps", SaveSteps = 10 },
        Logging = new LoggingConfig { LoggingSteps = 1 },
    };

    /// <summary>
    /// Trains <paramref name="config"/>; console lines go to <paramref name="console"/> (default: nowhere) and the run's
    /// train.log. <paramref name="lossScaler"/>: <see cref="TrainerOptions.LossScaler"/>.
    /// </summary>
    public TrainResult Run(ExperimentConfig config, Action<long>? onStep = null, TensorDataset? train = null, Func<GradScaler>? lossScaler = null,
                           TextWriter? console = null, CancellationToken token = default) =>
        new Trainer(config, Yaml, console ?? TextWriter.Null, new TrainerOptions
        {
            TrainData = train ?? Train, EvalData = Eval, Interactive = false, StepCompleted = onStep, LossScaler = lossScaler,
            Clock = () => new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        }).Run(token);

    /// <summary>A run cancelled right after <paramref name="step"/> (it saves a checkpoint there).</summary>
    public TrainResult RunUntil(ExperimentConfig config, long step, TensorDataset? train = null, Func<GradScaler>? lossScaler = null)
    {
        using var cts = new CancellationTokenSource();
        return Run(config, s => { if (s == step) cts.Cancel(); }, train, lossScaler, token: cts.Token);
    }

    /// <summary>
    /// The resume check's three runs of <paramref name="config"/>: straight through (output folder <c>a</c>), stopped right
    /// after <paramref name="stopAt"/> (<c>b</c>, which saves a checkpoint there) and resumed from that checkpoint (<c>c</c>).
    /// </summary>
    public (TrainResult Straight, TrainResult Stopped, TrainResult Resumed, string Checkpoint) StraightStoppedResumed(
        ExperimentConfig config, long stopAt, Func<GradScaler>? lossScaler = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ExperimentConfig In(string folder, string? resumeFrom = null) =>
            config with { Train = config.Train with { OutputDir = Path.Combine(Root, folder), ResumeFromCheckpoint = resumeFrom ?? config.Train.ResumeFromCheckpoint } };
        var straight = Run(In("a"), lossScaler: lossScaler);
        var stopped = RunUntil(In("b"), stopAt, lossScaler: lossScaler);
        var checkpoint = Path.Combine(stopped.RunDirectory, "checkpoints", TrainingCheckpoint.FolderName(stopAt));
        var resumed = Run(In("c", checkpoint), lossScaler: lossScaler);
        return (straight, stopped, resumed, checkpoint);
    }

    public static OrderedDictionary<string, Tensor> Weights(string folder) =>
        SafetensorsFile.ReadAll(Path.Combine(folder, TrainingCheckpoint.ModelFile));

    /// <summary>Asserts that two weight sets have the same keys and bit-identical tensors, then frees both.</summary>
    public static void AssertSameWeightsAndFree(OrderedDictionary<string, Tensor> expected, OrderedDictionary<string, Tensor> actual, string what = "")
    {
        try
        {
            Assert.Equal(expected.Keys, actual.Keys);
            Assert.All(expected, kv => Assert.True(kv.Value.ValueEquals(actual[kv.Key]), $"{what}{(what.Length > 0 ? ": " : "")}{kv.Key} differs"));
        }
        finally
        {
            Free(expected);
            Free(actual);
        }
    }

    public static void Free(OrderedDictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }

    public void Dispose()
    {
        Train.Dispose();
        Eval.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
