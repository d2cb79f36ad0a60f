using System.Text.Json;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;
using Xunit.Abstractions;
using static LowRankTrainer.Torch.Tests.Optim.OptimFixture;

namespace LowRankTrainer.Torch.Tests.Optim;

/// <summary>
/// AdamW(fused: true), the single-pass kernel of <c>adamw_torch_fused</c>: PyTorch's trajectories
/// within tolerance, agreement with the <c>_foreach_</c> path (how many elements are bit-identical is
/// written to the test output), state save/load, non-contiguous parameters and the fallback path.
/// </summary>
public class FusedAdamWTests(ITestOutputHelper output)
{
    public static TheoryData<string> AdamWCases => Names("adamw");

    private static AdamW FromCase(JsonElement c, Tensor[] ps, bool fused) =>
        new(ps, lr: c.GetProperty("lr").GetDouble(), beta1: c.GetProperty("beta1").GetDouble(),
            beta2: c.GetProperty("beta2").GetDouble(), eps: c.GetProperty("eps").GetDouble(),
            weightDecay: c.GetProperty("weight_decay").GetDouble(), fused: fused);

    private static double[] Values(Tensor t) =>
        t.DType == DType.Float32 ? Array.ConvertAll(t.ToArray<float>(), v => (double)v) : t.ToArray<double>();

    /// <summary>
    /// Largest |a − b| / (|b| + floor) and the count of bit-equal elements. Against PyTorch's fixture
    /// the floor is 1e-3 (what <see cref="OptimFixture.AssertClose"/> bounds). Between the fused and
    /// foreach paths after several steps it is the tensor's largest magnitude (<see cref="CompareScaled"/>):
    /// an element that moved from ~0.05 to ~1e-4 keeps its rounding error of ~ulp(0.05), which is
    /// float32 noise, not a disagreement.
    /// </summary>
    private static (double MaxRel, int Equal, int Total) Compare(double[] a, double[] b, double floor = 1e-3)
    {
        double max = 0;
        var equal = 0;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]) / (Math.Abs(b[i]) + floor));
            if (a[i].Equals(b[i])) equal++;
        }
        return (max, equal, a.Length);
    }

    private static (double MaxRel, int Equal, int Total) CompareScaled(double[] a, double[] b) =>
        Compare(a, b, Math.Max(b.Max(Math.Abs), 1e-30));

    [Theory]
    [MemberData(nameof(AdamWCases))]
    public void Fused_FollowsPyTorchTrajectory_AndNearlyMatchesForeachBitwise(string name)
    {
        var c = Case("adamw", name);
        var fusedPs = Params(c);
        var foreachPs = Params(c);
        try
        {
            using var fused = FromCase(c, fusedPs, fused: true);
            using var plain = FromCase(c, foreachPs, fused: false);
            Assert.True(fused.Fused);
            Assert.False(plain.Fused);
            double maxVsTorch = 0, maxVsForeach = 0;
            int equal = 0, total = 0;
            var k = 0;
            foreach (var expected in c.GetProperty("trajectory").EnumerateArray())
            {
                SetGrads(c, k, fusedPs);
                SetGrads(c, k, foreachPs);
                fused.Step();
                plain.Step();
                var pe = expected.GetProperty("params").EnumerateArray().ToArray();
                using var scope = new DisposeScope();
                for (var i = 0; i < fusedPs.Length; i++)
                {
                    AssertClose(pe[i], fusedPs[i], $"step {k + 1} param {i}");
                    maxVsTorch = Math.Max(maxVsTorch, Compare(Values(fusedPs[i]), Data(pe[i])).MaxRel);
                    var (rel, eq, n) = CompareScaled(Values(fusedPs[i]), Values(foreachPs[i]));
                    (maxVsForeach, equal, total) = (Math.Max(maxVsForeach, rel), equal + eq, total + n);
                }
                using var state = fused.SaveState();
                using var plainState = plain.SaveState();
                var se = expected.GetProperty("state").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
                Assert.Equal(se.Keys.Order(), state.Tensors.Keys.Order());
                foreach (var (key, value) in se)
                {
                    var actual = state.Tensors[key];
                    if (key.EndsWith(".step", StringComparison.Ordinal))
                    {
                        Assert.Equal(Data(value)[0], actual.ToDouble());
                        continue;
                    }
                    AssertClose(value, actual, $"step {k + 1} {key}");
                    maxVsTorch = Math.Max(maxVsTorch, Compare(Values(actual), Data(value)).MaxRel);
                    var (rel, eq, n) = CompareScaled(Values(actual), Values(plainState.Tensors[key]));
                    (maxVsForeach, equal, total) = (Math.Max(maxVsForeach, rel), equal + eq, total + n);
                }
                k++;
            }
            output.WriteLine($"{name}: fused vs PyTorch max rel dev {maxVsTorch:E2}; fused vs foreach max dev {maxVsForeach:E2} (relative to each tensor's largest element), " +
                             $"{equal}/{total} elements (params + moments, all steps) bit-identical");
        }
        finally
        {
            foreach (var p in fusedPs.Concat(foreachPs)) p.Dispose();
        }
    }

    private static readonly long[][] Shapes = [[300, 256], [256], [7, 3], [10]];

    /// <summary>Seeded leaf parameters outside any scope; [300, 256] is over the kernel's parallel grain.</summary>
    private static Tensor[] MakeParams(ulong seed, DType dtype)
    {
        using var gen = new Generator(seed);
        using var _ = DisposeScope.Suspend();
        return Shapes.Select(s => Tensor.Randn(s, gen, dtype).RequiresGrad_()).ToArray();
    }

    /// <summary>Step <paramref name="step"/>'s gradients (the same for both copies); parameter 2 has none every third step.</summary>
    private static void SetRandomGrads(Tensor[] ps, int step)
    {
        using var gen = new Generator((ulong)(500 + step));
        using var scope = new DisposeScope();
        for (var i = 0; i < ps.Length; i++)
        {
            var g = Tensor.Randn(ps[i].Shape, gen, ps[i].DType) * (0.1 * (i + 1));
            ps[i].Grad = i == 2 && step % 3 == 0 ? null : g;
        }
    }

    private static AdamW Make(Tensor[] ps, bool fused, double lr = 1e-2) =>
        new([new ParamGroup(ps[..2]), new ParamGroup(ps[2..], lr: lr / 3, weightDecay: 0)],
            lr: lr, beta1: 0.85, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, fused: fused);

    /// <summary>
    /// On CUDA the fused path is libtorch's own _fused_adamw_ (one launch for many tensors, float arithmetic, step
    /// counts read from device tensors that parameters at the same step share): after 50 steps with a parameter that
    /// skips every third one, it agrees with the CPU foreach path within float32 rounding (1e-5 of each tensor's
    /// largest element: the GPU's division and square root round differently) and counts steps the same way.
    /// </summary>
    [GpuFact]
    public void OnCuda_FusedMatchesCpuForeach_OverFiftySteps()
    {
        var cpu = MakeParams(11, DType.Float32);
        var gpu = MakeParams(11, DType.Float32).Select(p =>
        {
            using var _ = DisposeScope.Suspend();
            using (p) return p.Detach().To(Device.Cuda()).RequiresGrad_();
        }).ToArray();
        try
        {
            using var fused = Make(gpu, fused: true);
            using var plain = Make(cpu, fused: false);
            for (var step = 0; step < 50; step++)
            {
                SetRandomGrads(cpu, step);
                using (new DisposeScope())
                {
                    for (var i = 0; i < cpu.Length; i++) gpu[i].Grad = cpu[i].Grad?.To(Device.Cuda());
                }
                fused.Step();
                plain.Step();
            }
            using var scope = new DisposeScope();
            for (var i = 0; i < cpu.Length; i++)
            {
                var (rel, _, _) = CompareScaled(Values(gpu[i].Cpu()), Values(cpu[i]));
                Assert.True(rel <= 1e-5, $"parameter {i}: CUDA fused and CPU foreach differ by {rel:E2}");
            }
            Assert.Equal(50, fused.StepCount(0));
            Assert.Equal(33, fused.StepCount(2));
        }
        finally
        {
            foreach (var p in cpu.Concat(gpu)) p.Dispose();
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void FiftyRandomSteps_FusedAndForeachAgreeWithinTolerance(DType dtype)
    {
        var a = MakeParams(11, dtype);
        var b = MakeParams(11, dtype);
        try
        {
            using var fused = Make(a, fused: true);
            using var plain = Make(b, fused: false);
            for (var step = 0; step < 50; step++)
            {
                SetRandomGrads(a, step);
                SetRandomGrads(b, step);
                fused.Step();
                plain.Step();
            }
            var rtol = Rtol(dtype);
            double maxRel = 0;
            int equal = 0, total = 0;
            using var sa = fused.SaveState();
            using var sb = plain.SaveState();
            Assert.Equal(sb.Tensors.Keys.Order(), sa.Tensors.Keys.Order());
            var pairs = a.Zip(b, (x, y) => ("param", x, y)).Concat(sa.Tensors.Keys.Select(key => (key, sa.Tensors[key], sb.Tensors[key])));
            using var scope = new DisposeScope();
            foreach (var (what, x, y) in pairs)
            {
                var (rel, eq, n) = CompareScaled(Values(x), Values(y));
                Assert.True(rel <= rtol, $"{what}: fused and foreach differ by {rel:E2} (relative to the largest element), more than {rtol:E0}");
                (maxRel, equal, total) = (Math.Max(maxRel, rel), equal + eq, total + n);
            }
            Assert.Equal(50, fused.StepCount(0));
            Assert.Equal(33, fused.StepCount(2)); // no gradient at steps 0, 3, …, 48
            output.WriteLine($"{dtype}, 50 steps: fused vs foreach max dev {maxRel:E2} (relative to each tensor's largest element); {equal}/{total} elements bit-identical");
        }
        finally
        {
            foreach (var p in a.Concat(b)) p.Dispose();
        }
    }

    [Fact]
    public void SaveThenLoad_ContinuesBitIdentically_AndStateIsInterchangeableWithForeach()
    {
        var a = MakeParams(21, DType.Float32);
        var b = MakeParams(77, DType.Float32);
        var c = MakeParams(78, DType.Float32);
        try
        {
            using var optA = Make(a, fused: true);
            for (var step = 0; step < 4; step++)
            {
                SetRandomGrads(a, step);
                optA.Step();
            }
            // B (fused) and C (foreach) take A's parameters and state, with other hyperparameters.
            using var optB = Make(b, fused: true, lr: 0.5);
            using var optC = Make(c, fused: false, lr: 0.5);
            using (new DisposeScope())
            using (Autograd.NoGrad())
            {
                for (var i = 0; i < a.Length; i++)
                {
                    b[i].Copy_(a[i]);
                    c[i].Copy_(a[i]);
                }
            }
            using (var saved = optA.SaveState())
            {
                optB.LoadState(saved);
                optC.LoadState(saved);
            }
            Assert.Equal(optA.ParamGroups.Select(g => g.Lr), optB.ParamGroups.Select(g => g.Lr));
            Assert.Equal(optA.StepCount(2), optC.StepCount(2));
            for (var step = 4; step < 10; step++)
            {
                SetRandomGrads(a, step);
                SetRandomGrads(b, step);
                SetRandomGrads(c, step);
                optA.Step();
                optB.Step();
                optC.Step();
            }
            using var scope = new DisposeScope();
            for (var i = 0; i < a.Length; i++)
            {
                Assert.True(a[i].ValueEquals(b[i]), $"parameter {i} differs after resuming");
                var (rel, _, _) = CompareScaled(Values(c[i]), Values(a[i]));
                Assert.True(rel <= 1e-6, $"parameter {i}: the foreach optimizer resumed from fused state differs by {rel:E2}");
            }
        }
        finally
        {
            foreach (var p in a.Concat(b).Concat(c)) p.Dispose();
        }
    }

    /// <summary>
    /// A transposed view made a leaf: backward gives it a gradient with its own (transposed) strides
    /// and the moments are created with them too, so the kernel runs over it in memory order; the
    /// result matches the foreach step of a contiguous copy and the parameter keeps its layout. With
    /// a contiguous gradient set by hand the layouts differ, and that parameter takes the foreach path:
    /// bit-identical to AdamW(fused: false).
    /// </summary>
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void NonContiguousLeaf_IsSteppedCorrectly(DType dtype)
    {
        using var gen = new Generator(5);
        Tensor t, q, tv, u, w;
        using (DisposeScope.Suspend())
        {
            using var baseT = Tensor.Randn([40, 900], gen, dtype);  // 36,000 elements: over the parallel grain
            using var view = baseT.Transpose(0, 1);
            t = view.Detach().RequiresGrad_();
            q = view.Contiguous().Detach().RequiresGrad_();
            tv = view.Detach().Clone().RequiresGrad_();  // clones keep the transposed layout
            u = view.Detach().Clone().RequiresGrad_();
            w = Tensor.Randn([900, 40], gen, dtype);
        }
        try
        {
            Assert.False(t.IsContiguous);
            Assert.False(tv.IsContiguous);
            Assert.False(u.IsContiguous);
            using var fusedT = new AdamW([t], lr: 0.01, weightDecay: 0.1, fused: true);
            using var plainQ = new AdamW([q], lr: 0.01, weightDecay: 0.1);
            using var fusedTv = new AdamW([tv], lr: 0.01, weightDecay: 0.1, fused: true);
            using var plainU = new AdamW([u], lr: 0.01, weightDecay: 0.1);  // the same layouts, foreach
            for (var step = 0; step < 5; step++)
            {
                using var scope = new DisposeScope();
                using var scale = Tensor.ScalarTensor(1.0 + step, dtype);
                foreach (var p in new[] { t, q }) (p * w * scale).Sum().Backward();
                using (var g = t.Grad!) Assert.False(g.IsContiguous);  // the layout of the parameter
                using (var g = q.Grad!) Assert.True(g.IsContiguous);
                tv.Grad = (w * scale).Contiguous();                    // contiguous: layouts differ
                u.Grad = (w * scale).Contiguous();
                fusedT.Step();
                plainQ.Step();
                fusedTv.Step();
                plainU.Step();
                fusedT.ZeroGrad();
                plainQ.ZeroGrad();
            }
            Assert.False(t.IsContiguous);
            using var check = new DisposeScope();
            var (rel, _, _) = CompareScaled(Values(t), Values(q));
            Assert.True(rel <= Rtol(dtype), $"the transposed leaf differs from the contiguous one by {rel:E2}");
            using (var st = fusedT.SaveState())
            {
                Assert.False(st.Tensors["state.0.exp_avg"].IsContiguous);  // created with the parameter's layout
            }
            Assert.True(tv.ValueEquals(u), "the foreach fallback differs from AdamW(fused: false)");
        }
        finally
        {
            foreach (var p in new[] { t, q, u, w, tv }) p.Dispose();
        }
    }

    /// <summary>A dtype the kernel does not take (bfloat16) goes through the foreach path: the same result, or the same failure.</summary>
    [Fact]
    public void UnsupportedDType_BehavesExactlyAsTheForeachPath()
    {
        using var gen = new Generator(9);
        Tensor a, b;
        using (DisposeScope.Suspend())
        {
            using var x = Tensor.Randn([6, 5], gen);
            a = x.To(DType.BFloat16).RequiresGrad_();
            b = x.To(DType.BFloat16).RequiresGrad_();
        }
        try
        {
            using var fused = new AdamW([a], fused: true);
            using var plain = new AdamW([b]);
            using (new DisposeScope())
            {
                using var g = Tensor.Randn([6, 5], gen).To(DType.BFloat16);
                a.Grad = g;
                b.Grad = g.Clone();
            }
            var plainError = Record.Exception(plain.Step);
            var live = Tensor.LiveCount;
            var fusedError = Record.Exception(fused.Step);
            if (plainError is null)
            {
                Assert.Null(fusedError);
                Assert.True(a.ValueEquals(b));
                Assert.Equal(1, fused.StepCount(0));
            }
            else
            {
                Assert.IsType(plainError.GetType(), fusedError);
                Assert.Equal(live, Tensor.LiveCount);  // no state handle minted by the failed step
                Assert.Equal(0, fused.StepCount(0));
            }
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }
}
