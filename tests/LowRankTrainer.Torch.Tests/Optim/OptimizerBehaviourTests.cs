using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Torch.Optim.Schedulers;

namespace LowRankTrainer.Torch.Tests.Optim;

/// <summary>Parameter groups, skipping, state save/load and validation of the optimizers.</summary>
public class OptimizerBehaviourTests
{
    private static readonly long[][] Shapes = [[3, 4], [5], [2, 2]];

    /// <summary>Leaf float64 parameters outside any scope, seeded.</summary>
    private static Tensor[] MakeParams(ulong seed)
    {
        using var gen = new Generator(seed);
        using var _ = DisposeScope.Suspend();
        return Shapes.Select(s => Tensor.Randn(s, gen, DType.Float64).RequiresGrad_()).ToArray();
    }

    /// <summary>Deterministic gradients for step <paramref name="step"/>; <paramref name="skip"/> gets none.</summary>
    private static void SetGrads(Tensor[] ps, int step, int skip = -1)
    {
        using var gen = new Generator((ulong)(1000 + step));
        using var scope = new DisposeScope();
        for (var i = 0; i < ps.Length; i++) ps[i].Grad = i == skip ? null : Tensor.Randn(ps[i].Shape, gen, DType.Float64);
    }

    /// <summary>A detached copy of a parameter's values (no handle left for the GC).</summary>
    private static Tensor Snapshot(Tensor p)
    {
        using var detached = p.Detach();
        return detached.Clone();
    }

    private static void DisposeAll(IEnumerable<Tensor> ts)
    {
        foreach (var t in ts) t.Dispose();
    }

    public static TheoryData<string> Kinds => new() { "adamw", "sgd" };

    private static Optimizer Make(string kind, Tensor[] ps, double lr = 0.05) => kind == "adamw"
        ? new AdamW([new ParamGroup(ps[..2]), new ParamGroup(ps[2..], lr: lr / 2, weightDecay: 0)], lr: lr, weightDecay: 0.1)
        : new Sgd([new ParamGroup(ps[..2]), new ParamGroup(ps[2..], lr: lr / 2, nesterov: true)], lr: lr, momentum: 0.9, weightDecay: 0.01);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ParametersWithoutGrad_AreUntouched_AndGetNoState(string kind)
    {
        var ps = MakeParams(1);
        using var before = Snapshot(ps[1]);
        using var opt = Make(kind, ps);
        for (var step = 0; step < 3; step++)
        {
            SetGrads(ps, step, skip: 1);
            opt.Step();
        }
        Assert.True(before.ValueEquals(ps[1]));
        using var state = opt.SaveState();
        Assert.DoesNotContain(state.Tensors.Keys, k => k.StartsWith("state.1.", StringComparison.Ordinal));
        Assert.Contains(state.Tensors.Keys, k => k.StartsWith("state.0.", StringComparison.Ordinal));
        if (opt is AdamW adam) Assert.Equal((0L, 3L), (adam.StepCount(1), adam.StepCount(0)));
        DisposeAll(ps);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SaveThenLoadIntoFreshOptimizer_ContinuesBitIdentically(string kind)
    {
        var a = MakeParams(2);
        var b = MakeParams(99);
        using var optA = Make(kind, a);
        var schedA = WarmupSchedule.Cosine(optA, totalSteps: 8, Warmup.OfSteps(2));
        for (var step = 0; step < 3; step++)
        {
            SetGrads(a, step, skip: step == 0 ? 2 : -1);
            optA.Step();
            schedA.Step();
        }

        // A fresh optimizer with other hyperparameters over copies of the parameters takes A's state.
        using var optB = Make(kind, b, lr: 0.5);
        var schedB = WarmupSchedule.Cosine(optB, totalSteps: 8, Warmup.OfSteps(2));
        using (new DisposeScope())
        using (Autograd.NoGrad())
        {
            for (var i = 0; i < a.Length; i++) b[i].Copy_(a[i]);
        }
        using (var saved = optA.SaveState())
        {
            optB.LoadState(saved);
        }
        schedB.LoadState(schedA.SaveState());
        Assert.Equal(optA.ParamGroups.Select(g => g.Lr), optB.ParamGroups.Select(g => g.Lr));

        for (var step = 3; step < 8; step++)
        {
            SetGrads(a, step);
            SetGrads(b, step);
            optA.Step();
            optB.Step();
            schedA.Step();
            schedB.Step();
        }
        for (var i = 0; i < a.Length; i++) Assert.True(a[i].ValueEquals(b[i]), $"parameter {i} differs after resuming");
        DisposeAll(a);
        DisposeAll(b);
    }

    [Fact]
    public void LoadState_WithWrongShapeMissingOrUnexpectedKey_ThrowsNamingIt_AndChangesNothing()
    {
        var ps = MakeParams(3);
        using var opt = Make("adamw", ps);
        SetGrads(ps, 0);
        opt.Step();
        using var good = opt.SaveState();

        void Expect(string key, Action<Dictionary<string, Tensor>> edit)
        {
            var tensors = new Dictionary<string, Tensor>(good.Tensors);
            edit(tensors);
            var state = new OptimizerState(tensors, good.ParamGroups);
            var e = Assert.Throws<ArgumentException>(() => opt.LoadState(state));
            Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
        }

        using var wrong = Tensor.Zeros([4, 3], DType.Float64);
        Expect("state.0.exp_avg", t => t["state.0.exp_avg"] = wrong);
        Expect("state.2.exp_avg_sq", t => t.Remove("state.2.exp_avg_sq"));
        Expect("state.1.step", t => t.Remove("state.1.step"));
        Expect("state.7.exp_avg", t => t["state.7.exp_avg"] = wrong);
        Expect("state.0.momentum_buffer", t => t["state.0.momentum_buffer"] = wrong);
        var groups = new OptimizerState(new Dictionary<string, Tensor>(), good.ParamGroups.Take(1).ToArray());
        Assert.Throws<ArgumentException>(() => opt.LoadState(groups));

        using var after = opt.SaveState();
        Assert.Equal(good.Tensors.Keys.Order(), after.Tensors.Keys.Order());
        DisposeAll(ps);
    }

    [Fact]
    public void ParamGroups_UseTheirOwnLearningRates()
    {
        var ps = MakeParams(4);
        using var g0 = Snapshot(ps[0]);
        using var g2 = Snapshot(ps[2]);
        using var opt = new Sgd([new ParamGroup([ps[0]], lr: 0.1), new ParamGroup([ps[2]])], lr: 0.01);
        Assert.Equal(0.01, opt.ParamGroups[1].Lr);
        SetGrads(ps, 0);
        opt.Step();
        using var scope = new DisposeScope();
        Assert.True((g0 - (ps[0].Grad! * 0.1)).AllClose(ps[0], 0, 1e-15));
        Assert.True((g2 - (ps[2].Grad! * 0.01)).AllClose(ps[2], 0, 1e-15));
        DisposeAll(ps);
    }

    [Fact]
    public void Construction_RejectsDuplicatesAndInvalidHyperparameters()
    {
        var ps = MakeParams(5);
        using var alias = ps[0].Alias();
        Assert.Throws<ArgumentException>(() => new AdamW([new ParamGroup([ps[0]]), new ParamGroup([alias])]));
        Assert.Throws<ArgumentException>(() => new Sgd(ps, momentum: 0, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(ps, beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(ps, lr: -1));
        Assert.Throws<InvalidOperationException>(() => new Sgd(ps).ParamGroups[0].Beta1);
        DisposeAll(ps);
    }

    [Fact]
    public void ZeroGrad_DropsOrZeroesEveryGradient()
    {
        var ps = MakeParams(6);
        using var opt = new AdamW(ps);
        SetGrads(ps, 0);
        opt.ZeroGrad(setToNone: false);
        using (new DisposeScope())
        {
            Assert.All(ps, p => Assert.Equal(0.0, p.Grad!.Abs().Sum().ToDouble()));
        }
        opt.ZeroGrad();
        Assert.All(ps, p => Assert.Null(p.Grad));
        DisposeAll(ps);
    }
}
