using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// Tiny images for the embedding losses: 4 classes of 1×10×10 images, each a fixed random template per class
/// plus N(0, 0.5²) noise; 256 training and 128 eval images.
/// </summary>
internal sealed class TinyImages : TrainEvalFixture
{
    public TinyImages()
        : base("lrt-embed-")
    {
        using var g = new Generator(321);
        using var scope = new DisposeScope();
        var templates = Tensor.Randn([4, 1, 10, 10], g);
        Train = Make(templates, 256, g);
        Eval = Make(templates, 128, g);
    }

    private static TensorDataset Make(Tensor templates, long n, Generator g)
    {
        var labels = Tensor.RandInt(0, 4, [n], g);
        return new TensorDataset(templates.IndexSelect(0, labels) + (Tensor.Randn([n, 1, 10, 10], g) * 0.5), labels);
    }

    /// <summary>An MLP 100-16-16-16 (the head, 16→4, unused), 40 steps of AdamW with batch 32, evaluation every 20 steps.</summary>
    public ExperimentConfig Config(string type, string outputName = "runs")
    {
        var loss = type switch
        {
            "matryoshka" => new LossConfig { Type = type, Matryoshka = new MatryoshkaConfig { Dims = [4, 8, 16], DimsPerStep = 2 } },
            "matryoshka_2d" => new LossConfig { Type = type, Matryoshka = new MatryoshkaConfig { Dims = [4, 8, 16] } },
            "starbucks" => new LossConfig { Type = type, Starbucks = new StarbucksConfig { Layers = [1, 2, 3], Dims = [4, 8, 16] } },
            _ => new LossConfig { Type = type },
        };
        return new ExperimentConfig
        {
            Name = "tiny_embed",
            Model = new ModelConfig { Name = "mlp", HiddenSizes = [16, 16, 16], NumClasses = 4, ImageSize = 10 },
            Loss = loss,
            Train = new TrainConfig
            {
                OutputDir = Path.Combine(Root, outputName), MaxSteps = 40, PerDeviceTrainBatchSize = 32, LearningRate = 1e-2, WarmupSteps = 3, Seed = 7, MaxGradNorm = 1.0,
                Device = "cpu",  // CPU semantics: bit-identical resume (bf16 on CUDA is not bitwise reproducible)
            },
            Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 20, PerDeviceEvalBatchSize = 64 },
            Checkpoint = new CheckpointConfig { SaveStrategy = "no" },
            Logging = new LoggingConfig { LoggingSteps = 1 },
        };
    }

    public TrainResult Run(ExperimentConfig config, Action<long>? onStep = null, CancellationToken token = default) =>
        new Trainer(config, TinyRun.Yaml, TextWriter.Null, new TrainerOptions
        {
            TrainData = Train, EvalData = Eval, Interactive = false, StepCompleted = onStep,
            Clock = () => new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        }).Run(token);

    public TrainResult RunUntil(ExperimentConfig config, long step)
    {
        using var cts = new CancellationTokenSource();
        return Run(config, s => { if (s == step) cts.Cancel(); }, cts.Token);
    }
}

/// <summary>Training the embedding losses (<c>loss.type</c> mnrl, matryoshka, matryoshka_2d, starbucks) through the trainer.</summary>
[Collection(TrainingSerial.Name)]
public class EmbeddingTrainingTests
{
    [Theory]
    [InlineData("mnrl")]
    [InlineData("matryoshka")]
    [InlineData("matryoshka_2d")]
    [InlineData("starbucks")]
    public void Run_LossDecreases_AndNearestCentroidAccuracyIsWritten(string type)
    {
        using var tiny = new TinyImages();
        var result = tiny.Run(tiny.Config(type));
        var lines = File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var losses = lines.Where(o => o["loss"] is not null).Select(o => o["loss"]!.GetValue<double>()).ToList();
        Assert.Equal(40, losses.Count);
        Assert.True(losses.Take(5).Average() > 1.3 * losses.TakeLast(5).Average(), $"{type}: loss {losses.Take(5).Average()} → {losses.TakeLast(5).Average()}");

        // Powers of two up to the width (and the configured dims, here among them), for every type alike.
        string[] dims = ["2", "4", "8", "16"];
        var byDim = result.Summary.EvalAccuracyByDim!;
        Assert.Equal(dims, byDim.Keys);
        Assert.Equal(result.Summary.EvalAccuracy, byDim["16"]);
        Assert.True(byDim["16"] > 0.8, $"{type}: accuracy {byDim["16"]}");
        var byLayer = result.Summary.EvalAccuracyByLayerDim!;
        Assert.Equal(new[] { 1, 2, 3 }.SelectMany(l => dims.Select(d => $"{l}:{d}")).Order(), byLayer.Keys.Order());
        Assert.All(dims, d => Assert.Equal(byDim[d], byLayer[$"3:{d}"]));

        var evals = lines.Where(o => o["eval_loss"] is not null).ToList();
        Assert.Equal(2, evals.Count);
        Assert.All(evals, e => Assert.Equal(dims.Length * 3, e["eval_accuracy_by_layer_dim"]!.AsObject().Count));
        Assert.All(evals, e => Assert.True(double.IsFinite(e["eval_loss"]!.GetValue<double>())));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "summary.json")))!.AsObject();
        Assert.Equal(byLayer["1:16"], summary["eval_accuracy_by_layer_dim"]!["1:16"]!.GetValue<double>());
        // The head (16·4 + 4 parameters) is frozen and stays out of the optimizer.
        Assert.Equal(result.Summary.NumTotalParams - 68, result.Summary.NumTrainableParams);
    }

    [Fact]
    public void Run_TheHeadIsNeverUpdated()
    {
        using var tiny = new TinyImages();
        var result = tiny.Run(tiny.Config("matryoshka") with { Train = tiny.Config("matryoshka").Train with { MaxSteps = 5 }, Eval = new EvalConfig { EvalStrategy = "no" } });
        var weights = TinyRun.Weights(Path.Combine(result.RunDirectory, "final"));
        using var g = new Generator(7);
        using var fresh = ModelFactory.Create(tiny.Config("matryoshka").Model, g);
        using var state = fresh.StateDict();
        try
        {
            Assert.True(weights["layers.6.weight"].ValueEquals(state["layers.6.weight"]), "the head changed");
            Assert.False(weights["layers.4.weight"].ValueEquals(state["layers.4.weight"]), "the last hidden layer did not train");
        }
        finally
        {
            TinyRun.Free(weights);
        }
    }

    [Fact]
    public void StraightVersusStopAndResume_Matryoshka2d_BitIdentical()
    {
        using var tiny = new TinyImages();
        // Dropout, accumulation 2 (two micro-batches' views per step), sampled layers and dims, a logging window across the stop.
        var baseConfig = tiny.Config("matryoshka_2d");
        var config = baseConfig with
        {
            Model = baseConfig.Model with { Dropout = 0.1 },
            Train = baseConfig.Train with { MaxSteps = 20, PerDeviceTrainBatchSize = 16, GradientAccumulationSteps = 2 },
            Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 5, PerDeviceEvalBatchSize = 64 },
            Checkpoint = new CheckpointConfig { SaveStrategy = "steps", SaveSteps = 10 },
            Logging = new LoggingConfig { LoggingSteps = 3 },
        };
        var straight = tiny.Run(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "a") } });
        var stopped = tiny.RunUntil(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "b") } }, 10);
        Assert.True(stopped.Cancelled);
        var checkpoint = Path.Combine(stopped.RunDirectory, "checkpoints", "step-000010");
        var resumed = tiny.Run(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "c"), ResumeFromCheckpoint = checkpoint } });
        Assert.Equal(20, resumed.Summary.GlobalStep);
        Assert.Equal(Events(straight.RunDirectory), Events(resumed.RunDirectory));
        TinyRun.AssertSameWeightsAndFree(TinyRun.Weights(Path.Combine(straight.RunDirectory, "final")), TinyRun.Weights(Path.Combine(resumed.RunDirectory, "final")));
    }

    [Fact]
    public void Run_WithCheckpointsEvaluationAndResume_LeavesNoHandleBehind()
    {
        using var tiny = new TinyImages();
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        var config = tiny.Config("starbucks") with { Checkpoint = new CheckpointConfig { SaveStrategy = "steps", SaveSteps = 10 } };
        var first = tiny.RunUntil(config with { Train = config.Train with { MaxSteps = 20 } }, 10);
        tiny.Run(config with { Train = config.Train with { MaxSteps = 20, ResumeFromCheckpoint = first.LastCheckpoint } });
        DisposeScope.CollectOrphans();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Evaluate_NearestCentroidAccuracy_MatchesAPlainReimplementation()
    {
        using var tiny = new TinyImages();
        var config = tiny.Config("matryoshka_2d");
        using var g = new Generator(5);
        using var model = (Mlp)ModelFactory.Create(config.Model, g);
        var result = new EmbeddingObjective(config.Loss, 7, model, config.Model.HiddenSizes).Evaluate(tiny.Train, tiny.Eval, 50);
        foreach (var (layer, dim) in new[] { (0, 4), (1, 8), (2, 16) })
        {
            var train = Embed(model, tiny.Train, layer, dim);
            var eval = Embed(model, tiny.Eval, layer, dim);
            var yTrain = tiny.Train.Targets.ToArray<long>();
            var yEval = tiny.Eval.Targets.ToArray<long>();
            var centroids = new double[4, dim];
            for (var n = 0; n < yTrain.Length; n++) for (var k = 0; k < dim; k++) centroids[yTrain[n], k] += train[n][k];
            var correct = 0;
            for (var n = 0; n < yEval.Length; n++)
            {
                var best = -1;
                var bestScore = double.NegativeInfinity;
                for (var c = 0; c < 4; c++)
                {
                    double dot = 0, norm = 0;
                    for (var k = 0; k < dim; k++)
                    {
                        dot += eval[n][k] * centroids[c, k];
                        norm += centroids[c, k] * centroids[c, k];
                    }
                    var score = dot / Math.Sqrt(norm);
                    if (score > bestScore) (best, bestScore) = (c, score);
                }
                if (best == yEval[n]) correct++;
            }
            Assert.Equal((double)correct / yEval.Length, result.AccuracyByLayerDim![$"{layer + 1}:{dim}"], 12);
        }
        Assert.True(double.IsFinite(result.Loss) && result.Loss > 0);
    }

    // Rows of the L2-normalised prefix of a hidden layer's output, in doubles.
    private static double[][] Embed(Mlp model, TensorDataset data, int layer, int dim)
    {
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        model.Eval();
        var h = model.ForwardLayers(data.Inputs)[layer].Narrow(1, 0, dim).To(DType.Float64).Contiguous().ToArray<double>();
        return [.. Enumerable.Range(0, (int)data.Count).Select(n =>
        {
            var row = h.AsSpan(n * dim, dim).ToArray();
            var norm = Math.Sqrt(row.Sum(v => v * v));
            return row.Select(v => v / norm).ToArray();
        })];
    }

    private static List<string> Events(string runDirectory) =>
        File.ReadAllLines(Path.Combine(runDirectory, "metrics.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return string.Join(' ', doc.RootElement.EnumerateObject()
                .Where(p => p.Name is not ("samples_per_second" or "elapsed_seconds" or "eval_runtime"))
                .Select(p => $"{p.Name}={p.Value.GetRawText()}"));
        }).ToList();
}
