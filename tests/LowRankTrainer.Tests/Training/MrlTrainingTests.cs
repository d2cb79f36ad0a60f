using System.Text.Json.Nodes;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>Training and evaluating with <c>loss.type: mrl</c> through the trainer.</summary>
[Collection(TrainingSerial.Name)]
public class MrlTrainingTests
{
    private static ExperimentConfig Mrl(TinyRun tiny, bool efficient) => tiny.Config() with
    {
        Model = new ModelConfig { Name = "mlp", HiddenSizes = [32, 8], NumClasses = 4 },
        Loss = new LossConfig { Type = "mrl", LabelSmoothing = 0.1, Matryoshka = new MatryoshkaConfig { Dims = [8, 1, 2, 4], Efficient = efficient } },
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_ReportsAccuracyAtEveryNestingSize_InMetricsAndSummary(bool efficient)
    {
        using var tiny = new TinyRun();
        var config = Mrl(tiny, efficient);
        var result = tiny.Run(config with { Train = config.Train with { MaxSteps = 80 }, Checkpoint = new CheckpointConfig { SaveStrategy = "no" } });
        var byDim = result.Summary.EvalAccuracyByDim!;
        Assert.Equal(["1", "2", "4", "8"], byDim.Keys);
        Assert.Equal(result.Summary.EvalAccuracy, byDim["8"]);
        Assert.True(byDim["8"] > 0.9, $"accuracy at the full size {byDim["8"]}");
        var evals = File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o["eval_loss"] is not null).ToList();
        Assert.NotEmpty(evals);
        Assert.All(evals, e => Assert.Equal(4, e["eval_accuracy_by_dim"]!.AsObject().Count));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "summary.json")))!.AsObject();
        Assert.Equal(byDim["2"], summary["eval_accuracy_by_dim"]!["2"]!.GetValue<double>());
    }

    [Fact]
    public void Evaluate_PerSizeAccuracy_IsTheArgmaxOfEachSizesLogits()
    {
        using var tiny = new TinyRun();
        var config = Mrl(tiny, efficient: false);
        using var g = new Generator(9);
        using var model = (MatryoshkaMlp)ModelFactory.Create(config.Model, g, 16, config.Loss);
        var eval = new LossFunction(config.Loss).Evaluate(model, tiny.Eval, 50);
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        var logits = model.Forward(tiny.Eval.Inputs);
        var y = tiny.Eval.Targets.ToArray<long>();
        int[] sizes = [1, 2, 4, 8];
        for (var i = 0; i < sizes.Length; i++)
        {
            var rows = logits.Select(1, i).To(DType.Float64).ToArray<double>();
            var correct = 0;
            for (var n = 0; n < y.Length; n++)
            {
                var row = rows.AsSpan(n * 4, 4);
                var best = 0;
                for (var c = 1; c < 4; c++) if (row[c] > row[best]) best = c;
                if (best == y[n]) correct++;
            }
            Assert.Equal((double)correct / y.Length, eval.AccuracyByDim![sizes[i].ToString(System.Globalization.CultureInfo.InvariantCulture)], 12);
        }
        // The eval loss is the MRL sum, per sample.
        var loss = new LossFunction(config.Loss).Compute(logits, tiny.Eval.Targets).ToDouble();
        Assert.Equal(loss, eval.Loss, 5);
    }

    [Fact]
    public void Run_WithCheckpointsAndResume_LeavesNoHandleBehind()
    {
        using var tiny = new TinyRun();
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        var config = Mrl(tiny, efficient: true) with { Loss = Mrl(tiny, true).Loss with { Matryoshka = new MatryoshkaConfig { Dims = [8, 1, 2, 4], DimsPerStep = 2 } } };
        var first = tiny.RunUntil(config, 10);
        tiny.Run(config with { Train = config.Train with { ResumeFromCheckpoint = first.LastCheckpoint } });
        DisposeScope.CollectOrphans();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
