using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Losses;
using LowRankTrainer.Models;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Tests.Losses;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// Synthetic text pairs for the embedding losses on a transformer: pair i has a "topic" S_i of 3 ids out of 1–31. Its
/// anchor is 5–8 tokens, each drawn from S_i with probability 0.7 and uniformly from 1–31 otherwise; its positive is
/// 5–8 tokens in the other half of the vocabulary, each s + 31 for an s drawn from S_i with probability 0.7 and
/// uniformly from 32–62 otherwise; both right-padded with 0 to 8. Anchors and positives share no token, so an
/// untrained model retrieves at about chance, and a trained one must learn that s and s + 31 mean the same.
/// 512 training and 128 evaluation pairs, as int64 [N, 2, 8].
/// </summary>
internal sealed class TinyTextPairs : TrainEvalFixture
{
    public const long Pad = 0;

    public TinyTextPairs()
        : base("lrt-text-embed-")
    {
        Train = Make(512, new Random(1));
        Eval = Make(128, new Random(2));
        Directory.CreateDirectory(Root);
        File.WriteAllText(HfConfig, """
            {"model_type": "bert", "vocab_size": 64, "hidden_size": 16, "num_hidden_layers": 3, "num_attention_heads": 2,
             "intermediate_size": 32, "max_position_embeddings": 16, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
             "pad_token_id": 0}
            """);
    }

    public string HfConfig => Path.Combine(Root, "bert.json");

    private static TensorDataset Make(int n, Random rng)
    {
        var ids = new long[n * 2 * 8];
        for (var i = 0; i < n; i++)
        {
            long[] topic = [rng.Next(1, 32), rng.Next(1, 32), rng.Next(1, 32)];
            for (var side = 0; side < 2; side++)
            {
                var length = rng.Next(5, 9);
                for (var t = 0; t < length; t++) ids[(i * 16) + (side * 8) + t] = (rng.NextDouble() < 0.7 ? topic[rng.Next(3)] : rng.Next(1, 32)) + (31 * side);
            }
        }
        return new TensorDataset(Tensor.From<long>(ids, [n, 2, 8]), Tensor.Arange(n));
    }

    /// <summary>A BERT 3 × 16 (2 heads), 60 steps of AdamW with batch 32, evaluation at the end.</summary>
    public ExperimentConfig Config(string type)
    {
        var loss = type switch
        {
            "matryoshka" => new LossConfig { Type = type, Matryoshka = new MatryoshkaConfig { Dims = [4, 8, 16] } },
            "matryoshka_2d" => new LossConfig { Type = type, Matryoshka = new MatryoshkaConfig { Dims = [4, 8, 16] } },
            "starbucks" => new LossConfig { Type = type, Starbucks = new StarbucksConfig { Layers = [1, 2, 3], Dims = [4, 8, 16] } },
            _ => new LossConfig { Type = type },
        };
        return new ExperimentConfig
        {
            Name = "tiny_text_embed",
            Model = new ModelConfig { Name = "bert", HfConfig = HfConfig },
            Loss = loss,
            Train = new TrainConfig { OutputDir = Path.Combine(Root, "runs"), MaxSteps = 60, PerDeviceTrainBatchSize = 32, LearningRate = 3e-3, WarmupSteps = 5, Seed = 5, MaxGradNorm = 1.0, Device = "cpu" },
            Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 1000, PerDeviceEvalBatchSize = 50 },
            Checkpoint = new CheckpointConfig { SaveStrategy = "no" },
            Logging = new LoggingConfig { LoggingSteps = 10 },
        };
    }

    public TrainResult Run(ExperimentConfig config) =>
        new Trainer(config, TinyRun.Yaml, TextWriter.Null, new TrainerOptions { TrainData = Train, EvalData = Eval, Interactive = false }).Run();

    /// <summary>The evaluation of the model the run starts from (same seed, same initialisation, no step taken).</summary>
    public EvalResult Untrained(ExperimentConfig config)
    {
        using var g = new Generator(unchecked((ulong)config.Train.Seed));
        using var model = (TransformerModel)ModelFactory.Build(config.Model, g);
        return new EmbeddingObjective(config.Loss, config.Train.Seed, new TransformerLayerEmbedder(model), EmbeddingPairs.TextPairs)
            .Evaluate(Train, Eval, config.Eval.PerDeviceEvalBatchSize);
    }
}

/// <summary>The embedding losses on a transformer and text pairs, through the trainer.</summary>
[Collection(TrainingSerial.Name)]
public class TextEmbeddingTrainingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mnrl")]
    [InlineData("matryoshka")]
    [InlineData("matryoshka_2d")]
    [InlineData("starbucks")]
    public void ShortRun_ImprovesRetrievalOverTheUntrainedModel(string type)
    {
        using var tiny = new TinyTextPairs();
        var config = tiny.Config(type);
        var before = tiny.Untrained(config);
        var result = tiny.Run(config);
        var after = result.Summary;
        output.WriteLine($"{type}: retrieval {before.Accuracy:P1} → {after.EvalAccuracy:P1} in {after.TrainRuntime:F1} s; " +
                         string.Join(", ", after.EvalAccuracyByLayerDim!.Select(kv => $"{kv.Key} {before.AccuracyByLayerDim![kv.Key]:P0}→{kv.Value:P0}")));
        Assert.Equal("success", after.Status);
        Assert.True(after.EvalAccuracy > before.Accuracy + 0.10, $"{type}: retrieval accuracy {before.Accuracy} → {after.EvalAccuracy}");
        // The grid: powers of two up to d = 16 (the configured dims among them) on each of the 3 layers.
        Assert.Equal(new[] { 1, 2, 3 }.SelectMany(l => new[] { 2, 4, 8, 16 }.Select(d => $"{l}:{d}")).Order(), after.EvalAccuracyByLayerDim!.Keys.Order());
        Assert.Equal(after.EvalAccuracy, after.EvalAccuracyByLayerDim["3:16"]);
        Assert.Equal(after.EvalAccuracyByDim!["8"], after.EvalAccuracyByLayerDim["3:8"]);
        // The classifier (16·10 + 10) and the pooler (16·16 + 16) are frozen and stay out of the optimizer.
        Assert.Equal(after.NumTotalParams - 170 - 272, after.NumTrainableParams);
    }

    [Fact]
    public void EvalAccuracy_MatchesAPlainRetrievalOverTheSavedModel()
    {
        using var tiny = new TinyTextPairs();
        var config = tiny.Config("matryoshka_2d") with { Train = tiny.Config("matryoshka_2d").Train with { MaxSteps = 15 } };
        var result = tiny.Run(config);
        using var g = new Generator(0);
        var (model, _) = PretrainedTransformer.Load(Path.Combine(result.RunDirectory, "final"), null, null, g);
        using (model)
        using (var scope = new DisposeScope())
        using (var noGrad = Autograd.NoGrad())
        {
            model.Eval();
            var ids = tiny.Eval.Inputs;
            var n = (int)ids.Size(0);
            var anchors = model.HiddenLayers(ids.Select(1, 0));
            var positives = model.HiddenLayers(ids.Select(1, 1));
            var tokens = ids.ToArray<long>();
            foreach (var (layer, dim) in new[] { (0, 4), (1, 8), (2, 16) })
            {
                var a = Pool(anchors[layer], tokens, n, side: 0, dim);
                var p = Pool(positives[layer], tokens, n, side: 1, dim);
                var hits = 0;
                for (var i = 0; i < n; i++)
                {
                    var best = Enumerable.Range(0, n).MaxBy(j => Cosine(a[i], p[j]));
                    if (best == i) hits++;
                }
                Assert.Equal((double)hits / n, result.Summary.EvalAccuracyByLayerDim![$"{layer + 1}:{dim}"], 12);
            }
        }
    }

    // Mean over the real (non-zero) tokens of one side of each pair, first dim coordinates, in doubles.
    private static double[][] Pool(Tensor hidden, long[] tokens, int n, int side, int dim)
    {
        var h = Reference.Rows(hidden.Reshape(n * 8, -1));
        return [.. Enumerable.Range(0, n).Select(i =>
        {
            var sum = new double[dim];
            var count = 0;
            for (var t = 0; t < 8; t++)
            {
                if (tokens[(i * 16) + (side * 8) + t] == TinyTextPairs.Pad) continue;
                count++;
                for (var k = 0; k < dim; k++) sum[k] += h[(i * 8) + t][k];
            }
            return sum.Select(v => v / count).ToArray();
        })];
    }

    private static double Cosine(double[] x, double[] y) =>
        x.Zip(y).Sum(p => p.First * p.Second) / Math.Sqrt(x.Sum(v => v * v) * y.Sum(v => v * v));

    [Fact]
    public void DimsWiderThanTheModel_AreRefusedBeforeTraining_NamingTheKey()
    {
        using var tiny = new TinyTextPairs();
        var config = tiny.Config("matryoshka_2d");
        var bad = config with { Loss = config.Loss with { Matryoshka = new MatryoshkaConfig { Dims = [8, 32] } } };
        var e = Assert.Throws<ArgumentException>(() => tiny.Run(bad));
        Assert.Contains("loss.matryoshka.dims: 32 is wider than the narrowest layer (16; the model's 3 layers are [16, 16, 16] wide)", e.Message, StringComparison.Ordinal);
        var starbucks = tiny.Config("starbucks");
        var deep = starbucks with { Loss = starbucks.Loss with { Starbucks = new StarbucksConfig { Layers = [1, 4], Dims = [4, 16] } } };
        Assert.Contains("loss.starbucks.layers[1] is 4, outside [1, 3]", Assert.Throws<ArgumentException>(() => tiny.Run(deep)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_LeavesNoHandleBehind()
    {
        using var tiny = new TinyTextPairs();
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        var config = tiny.Config("starbucks");
        tiny.Run(config with { Train = config.Train with { MaxSteps = 4 }, Eval = config.Eval with { EvalSteps = 2 } });
        DisposeScope.CollectOrphans();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
