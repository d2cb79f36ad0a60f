using LowRankTrainer.Runs.TensorBoard;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Runs.TensorBoard;

/// <summary>Tags as HF's TensorBoardCallback (rewrite_logs) names the same logged keys.</summary>
public sealed class TensorBoardTagsTests
{
    [Theory]
    [InlineData("loss", "train/loss")]
    [InlineData("learning_rate", "train/learning_rate")]
    [InlineData("grad_norm", "train/grad_norm")]
    [InlineData("epoch", "train/epoch")]
    [InlineData("eval_loss", "eval/loss")]
    [InlineData("eval_accuracy", "eval/accuracy")]
    [InlineData("eval_f1", "eval/f1")]
    [InlineData("test_loss", "test/loss")]
    public void Rewrite_IsHfsRewriteLogs(string key, string tag) => Assert.Equal(tag, TensorBoardTags.Rewrite(key));

    [Fact]
    public void TrainEntry_GivesOneScalarPerLoggedNumber()
    {
        var entry = new MetricsEntry { Step = 7, Epoch = 0.5, Loss = 1.25, LearningRate = 3e-4, GradNorm = 0.75, SamplesPerSecond = 100, ElapsedSeconds = 2 };
        Assert.Equal(
            [("train/epoch", 0.5), ("train/loss", 1.25), ("train/learning_rate", 3e-4), ("train/grad_norm", 0.75), ("train/samples_per_second", 100.0), ("train/elapsed_seconds", 2.0)],
            TensorBoardTags.Of(entry));
    }

    [Fact]
    public void EvalEntry_FlattensMappings_AndKeepsEpochUnderTrain()
    {
        var entry = new MetricsEntry
        {
            Split = "eval", Step = 10, Epoch = 1, EvalLoss = 0.5, EvalAccuracy = 0.9, EvalF1 = 0.875,
            EvalAccuracyByDim = new Dictionary<string, double> { ["4"] = 0.5, ["16"] = 0.75 }, EvalRuntime = 0.25,
        };
        Assert.Equal(
            [("train/epoch", 1.0), ("eval/loss", 0.5), ("eval/accuracy", 0.9), ("eval/f1", 0.875), ("eval/accuracy_by_dim/4", 0.5), ("eval/accuracy_by_dim/16", 0.75), ("eval/runtime", 0.25)],
            TensorBoardTags.Of(entry));
    }
}
