using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Memory;

/// <summary>
/// The leak acceptance test: forward + backward + SGD update of a small MLP, 1,000 times, must leave
/// the shim's live-handle count exactly at its baseline (no GC involved).
/// </summary>
public class TrainingLeakTests
{
    [Fact]
    public void MlpTraining_1000Steps_ReturnsLiveHandlesToBaseline_AndLearns()
    {
        using var gen = new Generator(1234);
        // Tensors other tests left to the GC would otherwise be reclaimed mid-loop (the safety net
        // frees them at a scope exit) and pull the count below the baseline.
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;

        // A 16-32-4 MLP. Parameters and data are long-lived: built inside a set-up scope (which frees
        // the temporaries of their initialisation) and detached from it.
        Tensor w1, b1, w2, b2, x, y;
        using (new DisposeScope())
        {
            w1 = (Tensor.Randn([32, 16], gen) * 0.25).DetachFromScope().RequiresGrad_();
            b1 = Tensor.Zeros(32).DetachFromScope().RequiresGrad_();
            w2 = (Tensor.Randn([4, 32], gen) * 0.25).DetachFromScope().RequiresGrad_();
            b2 = Tensor.Zeros(4).DetachFromScope().RequiresGrad_();
            x = Tensor.Randn([64, 16], gen).DetachFromScope();
            y = Tensor.RandInt(0, 4, [64], gen).DetachFromScope();
        }
        Tensor[] parameters = [w1, b1, w2, b2];
        var afterSetup = Tensor.LiveCount;
        Assert.Equal(baseline + 6, afterSetup);

        double firstLoss = 0, lastLoss = 0;
        for (var step = 0; step < 1000; step++)
        {
            using var scope = new DisposeScope();
            var hidden = Tensor.Linear(x, w1, b1).Relu();
            var logProbs = Tensor.Linear(hidden, w2, b2).LogSoftmax(-1);
            var loss = -logProbs.Gather(1, y.Unsqueeze(1)).Mean();
            loss.Backward();
            using (Autograd.NoGrad())
            {
                foreach (var p in parameters)
                {
                    using var g = p.Grad!;
                    p.Sub_(g, 0.1);
                }
            }
            Autograd.ZeroGrad(parameters);
            var value = loss.ToDouble();
            if (step == 0) firstLoss = value;
            lastLoss = value;
        }

        Assert.Equal(afterSetup, Tensor.LiveCount);
        Assert.True(lastLoss < 0.5 * firstLoss, $"loss went from {firstLoss} to {lastLoss}");
        foreach (var t in new[] { w1, b1, w2, b2, x, y }) t.Dispose();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
