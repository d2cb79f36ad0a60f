using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Torch.Optim.Schedulers;

namespace LowRankTrainer.Torch.Tests.Optim;

/// <summary>
/// Optimizer state is created inside the step's DisposeScope yet must never join it: 100 training
/// steps leave exactly the parameters and their state alive, and disposing the optimizer frees it.
/// </summary>
[Collection(OptimSerial.Name)]
public class OptimizerLeakTests
{
    [Theory]
    [InlineData("adamw", 2)]
    [InlineData("sgd", 1)]
    public void HundredSteps_InsideScopes_LeaveOnlyParametersAndState(string kind, int stateTensorsPerParam)
    {
        using var gen = new Generator(7);
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var baseline = Tensor.LiveCount;
        Tensor w, b, x, y;
        using (new DisposeScope())
        {
            w = (Tensor.Randn([4, 8], gen) * 0.3).DetachFromScope().RequiresGrad_();
            b = Tensor.Zeros(4).DetachFromScope().RequiresGrad_();
            x = Tensor.Randn([32, 8], gen).DetachFromScope();
            y = Tensor.Randn([32, 4], gen).DetachFromScope();
        }
        var afterSetup = Tensor.LiveCount;
        IOptimizer opt = kind == "adamw" ? new AdamW([w, b], lr: 1e-2) : new Sgd([w, b], lr: 1e-2, momentum: 0.9, nesterov: true);
        var sched = WarmupSchedule.Cosine(opt, 100, Warmup.OfRatio(0.1));

        double first = 0, last = 0;
        for (var step = 0; step < 100; step++)
        {
            using var scope = new DisposeScope();
            var diff = Tensor.Linear(x, w, b) - y;
            var loss = (diff * diff).Mean();
            loss.Backward();
            GradClip.ClipGradNorm(opt, 1.0);
            opt.Step();
            sched.Step();
            opt.ZeroGrad();
            last = loss.ToDouble();
            if (step == 0) first = last;
        }

        Assert.Equal(afterSetup + (2 * stateTensorsPerParam), Tensor.LiveCount);
        Assert.True(last < 0.8 * first, $"loss went from {first} to {last}");
        opt.Dispose();
        Assert.Equal(afterSetup, Tensor.LiveCount);
        foreach (var t in new[] { w, b, x, y }) t.Dispose();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
