using LowRankTrainer.Adapters;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// The trainer with a GPT-2 built from <c>model.hf_config</c> on synthetic token data: classification (label = whether
/// the last real token is ≥ 16) and causal LM (a fixed cycle of tokens), full fine-tuning and LoRA.
/// </summary>
[Collection(TrainingSerial.Name)]
public sealed class TransformerTrainingTests : IDisposable
{
    private const long Pad = 0;
    private readonly string _root = Directory.CreateTempSubdirectory("lrt-transformer-train-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string HfConfig()
    {
        var path = Path.Combine(_root, "gpt2_tiny.json");
        File.WriteAllText(path, """
            {"model_type": "gpt2", "vocab_size": 32, "n_positions": 16, "n_embd": 32, "n_layer": 2, "n_head": 4,
             "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, "pad_token_id": 0}
            """);
        return path;
    }

    /// <summary>Rows of 3–8 tokens in 1..31, padded with 0 to 8; label 1 when the last real token is ≥ 16.</summary>
    private static TensorDataset Classification(int rows, ulong seed)
    {
        var rng = new Random((int)seed);
        var ids = new long[rows * 8];
        var labels = new long[rows];
        for (var r = 0; r < rows; r++)
        {
            var n = rng.Next(3, 9);
            for (var k = 0; k < n; k++) ids[r * 8 + k] = rng.Next(1, 32);
            labels[r] = ids[r * 8 + n - 1] >= 16 ? 1 : 0;
        }
        return new TensorDataset(Tensor.From<long>(ids, [rows, 8]), Tensor.From<long>(labels, [rows]), ["low", "high"]);
    }

    private ExperimentConfig Config(string task, AdapterConfig? adapter = null, double learningRate = 3e-3) => new()
    {
        Name = "gpt2-tiny",
        Model = new ModelConfig { Name = "gpt2", HfConfig = HfConfig(), Task = task },
        Adapter = adapter ?? new AdapterConfig(),
        Train = new TrainConfig { OutputDir = Path.Combine(_root, "runs"), MaxSteps = 60, PerDeviceTrainBatchSize = 32, LearningRate = learningRate, WarmupSteps = 5, Seed = 3 },
        Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 1000, PerDeviceEvalBatchSize = 64 },
        Checkpoint = new CheckpointConfig { SaveStrategy = "no" },
        Logging = new LoggingConfig { LoggingSteps = 10 },
    };

    private static TrainResult Run(ExperimentConfig config, TensorDataset train, TensorDataset eval) =>
        new Trainer(config, "name: gpt2-tiny\n", TextWriter.Null, new TrainerOptions { TrainData = train, EvalData = eval, Interactive = false }).Run();

    [Fact]
    public void FullFineTuningLearnsTheTaskAndSavesAnHfFolderThatReloads()
    {
        using var train = Classification(512, 1);
        using var eval = Classification(256, 2);
        var result = Run(Config("sequence_classification"), train, eval);
        Assert.Equal("success", result.Summary.Status);
        Assert.True(result.Summary.EvalAccuracy > 0.9, $"accuracy {result.Summary.EvalAccuracy}");
        Assert.NotNull(result.Summary.EvalF1);

        var final = Path.Combine(result.RunDirectory, "final");
        Assert.True(File.Exists(Path.Combine(final, "config.json")));
        using var g = new Generator(0);
        var (model, report) = PretrainedTransformer.Load(final, null, null, g);
        using (model)
        {
            Assert.Empty(report.NewKeys);
            Assert.Equal(["low", "high"], model.Labels);
            var reloaded = new LossFunction(new LossConfig()).Evaluate(model, eval, 64);
            Assert.Equal(result.Summary.EvalAccuracy, reloaded.Accuracy);
        }
    }

    [Fact]
    public void LoraOnCAttnTrainsOnlyTheAdapterAndTheScoreHead()
    {
        using var train = Classification(512, 1);
        using var eval = Classification(256, 2);
        var adapter = new AdapterConfig { Method = "lora", R = 4, LoraAlpha = 8, TargetModules = ["c_attn"], ModulesToSave = ["score"] };
        var result = Run(Config("sequence_classification", adapter, learningRate: 1e-2), train, eval);
        Assert.Equal("success", result.Summary.Status);
        // Per block: lora_A (4, 32) + lora_B (96, 4) = 512; two blocks; score (2, 32) = 64.
        Assert.Equal(2 * 512 + 64, result.Summary.NumTrainableParams);
        Assert.True(File.Exists(Path.Combine(result.RunDirectory, "final", AdapterCheckpoint.WeightsFile)));
        Assert.True(result.Summary.EvalAccuracy > 0.75, $"accuracy {result.Summary.EvalAccuracy}");
    }

    [Fact]
    public void CausalLmLossFallsToNearZeroOnAPredictableSequence()
    {
        using var train = CycleWindows.Make(256);
        using var eval = CycleWindows.Make(64);
        var result = Run(Config("causal_lm", learningRate: 1e-2), train, eval);
        Assert.Equal("success", result.Summary.Status);
        Assert.True(result.Summary.EvalLoss < 0.1, $"eval loss {result.Summary.EvalLoss}");
        Assert.True(result.Summary.EvalAccuracy > 0.99, $"token accuracy {result.Summary.EvalAccuracy}");
        Assert.Null(result.Summary.EvalF1);
    }

    [Fact]
    public void TokenIdsBeyondTheVocabularyAreRefusedWithAClearMessage()
    {
        using var train = new TensorDataset(Tensor.From<long>([1, 2, 40, 3], [1, 4]), Tensor.From<long>([0], [1]), ["a", "b"]);
        var e = Assert.Throws<ArgumentException>(() => Run(Config("sequence_classification"), train, train));
        Assert.Contains("token id 40", e.Message, StringComparison.Ordinal);
        Assert.Contains("vocabulary has 32 ids", e.Message, StringComparison.Ordinal);
    }
}
