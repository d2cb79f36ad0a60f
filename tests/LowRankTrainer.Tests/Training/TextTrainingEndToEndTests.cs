using LowRankTrainer.Config;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Tests.Checkpoints;
using LowRankTrainer.Tests.Data.Text;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// The config-driven text path end to end on the real corpora: a tiny GPT-2 pretrained for a few steps on the Brown
/// corpus writes an HF folder with its tokenizer; loaded for SpamAssassin classification it gets a new head, and LoRA
/// trains on it. Uses the experiment's Brown BPE tokenizer (experiments/gpt2_brown_spam/tokenizer/).
/// </summary>
[Collection(CorpusTests.Name)]
public sealed class TextTrainingEndToEndTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lrt-text-e2e-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Tokenizer => Path.Combine(SafetensorsTestFiles.RepositoryRoot(), "experiments", "gpt2_brown_spam", "tokenizer", "tokenizer.json");

    private ExperimentConfig Config(string name) => new()
    {
        Name = name,
        Train = new TrainConfig { OutputDir = Path.Combine(_root, "runs"), RunName = name, MaxSteps = 3, PerDeviceTrainBatchSize = 8, LearningRate = 1e-3, Seed = 1, NumThreads = 1 },
        Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 1000, PerDeviceEvalBatchSize = 64 },
        Checkpoint = new CheckpointConfig { SaveStrategy = "no" },
        Logging = new LoggingConfig { LoggingSteps = 1 },
    };

    private static TrainResult Run(ExperimentConfig config) =>
        new Trainer(config, $"name: {config.Name}\n", TextWriter.Null, new TrainerOptions { Interactive = false }).Run();

    [SpamAssassinFact]
    public void PretrainOnBrownThenLoraOnSpamAssassin()
    {
        var hfConfig = Path.Combine(_root, "gpt2.json");
        File.WriteAllText(hfConfig, """{"vocab_size": 8192, "n_positions": 64, "n_embd": 32, "n_layer": 1, "n_head": 2}""");
        var pretrain = Run(Config("pretrain") with
        {
            Model = new ModelConfig { Name = "gpt2", Task = "causal_lm", HfConfig = hfConfig },
            Data = new DataConfig { Dataset = "brown", Tokenizer = Tokenizer, BlockSize = 32, MaxSamples = 64 },
        });
        Assert.Equal("success", pretrain.Summary.Status);
        var final = Path.Combine(pretrain.RunDirectory, "final");
        Assert.True(File.Exists(Path.Combine(final, "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(final, "config.json")));

        var lora = Run(Config("lora") with
        {
            Model = new ModelConfig { Name = "gpt2", Task = "sequence_classification", NumClasses = 2, Pretrained = pretrain.RunDirectory },
            Data = new DataConfig { Dataset = "spam_assassin", Tokenizer = Path.Combine(final, "tokenizer.json"), MaxLength = 32, PadTokenId = 8191, MaxSamples = 64 },
            Adapter = new AdapterConfig { Method = "lora", R = 2, LoraAlpha = 4, TargetModules = ["all-linear"], ModulesToSave = ["score"] },
        });
        Assert.Equal("success", lora.Summary.Status);
        // LoRA on c_attn (32→96), attn.c_proj (32→32), c_fc (32→128), mlp.c_proj (128→32) at r=2, plus score (2×32).
        Assert.Equal(2 * (32 + 96) + 2 * (32 + 32) + 2 * (32 + 128) + 2 * (128 + 32) + 64, lora.Summary.NumTrainableParams);
        Assert.NotNull(lora.Summary.EvalF1);
        var log = File.ReadAllText(Path.Combine(lora.RunDirectory, "train.log"));
        Assert.Contains("GPT2ForSequenceClassification; new: score.weight", log, StringComparison.Ordinal);
    }
}
