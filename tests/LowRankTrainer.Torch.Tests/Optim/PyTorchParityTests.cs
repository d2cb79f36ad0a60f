using System.Text.Json;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;
using static LowRankTrainer.Torch.Tests.Optim.OptimFixture;

namespace LowRankTrainer.Torch.Tests.Optim;

/// <summary>
/// Step-by-step agreement with PyTorch's own AdamW(foreach=True), SGD(foreach=True) and
/// clip_grad_norm_ (tests/fixtures/optim, made by tools/fixtures/make_optim_fixture.py), including
/// parameters that have no gradient at some steps (skipped, state and step count unchanged).
/// </summary>
public class PyTorchParityTests
{
    public static TheoryData<string> AdamWCases => Names("adamw");
    public static TheoryData<string> SgdCases => Names("sgd");
    public static TheoryData<string, bool> ClipCases
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var c in Cases("clip")) foreach (var asTensor in new[] { false, true }) data.Add(c.GetProperty("name").GetString()!, asTensor);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AdamWCases))]
    public void AdamW_FollowsPyTorchTrajectory(string name)
    {
        var c = Case("adamw", name);
        var ps = Params(c);
        using var opt = new AdamW(ps, lr: c.GetProperty("lr").GetDouble(), beta1: c.GetProperty("beta1").GetDouble(),
                                  beta2: c.GetProperty("beta2").GetDouble(), eps: c.GetProperty("eps").GetDouble(),
                                  weightDecay: c.GetProperty("weight_decay").GetDouble());
        RunTrajectory(c, ps, opt);
    }

    [Theory]
    [MemberData(nameof(SgdCases))]
    public void Sgd_FollowsPyTorchTrajectory(string name)
    {
        var c = Case("sgd", name);
        var ps = Params(c);
        using var opt = new Sgd(ps, lr: c.GetProperty("lr").GetDouble(), momentum: c.GetProperty("momentum").GetDouble(),
                                dampening: c.GetProperty("dampening").GetDouble(), weightDecay: c.GetProperty("weight_decay").GetDouble(),
                                nesterov: c.GetProperty("nesterov").GetBoolean());
        RunTrajectory(c, ps, opt);
    }

    private static void RunTrajectory(JsonElement c, Tensor[] ps, IOptimizer opt)
    {
        try
        {
            var k = 0;
            foreach (var expected in c.GetProperty("trajectory").EnumerateArray())
            {
                SetGrads(c, k, ps);
                using var gradsBefore = new DisposeScope();
                var before = ps.Select(p => p.Grad?.Clone()).ToArray();
                opt.Step();
                var pe = expected.GetProperty("params").EnumerateArray().ToArray();
                for (var i = 0; i < ps.Length; i++) AssertClose(pe[i], ps[i], $"step {k + 1} param {i}");
                // The step reads the gradients and never writes them (PyTorch 1.13's Nesterov branch does).
                for (var i = 0; i < ps.Length; i++)
                {
                    if (before[i] is { } g) Assert.True(g.ValueEquals(ps[i].Grad!), $"step {k + 1}: gradient {i} was modified");
                }
                using var state = opt.SaveState();
                var se = expected.GetProperty("state").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
                Assert.Equal(se.Keys.Order(), state.Tensors.Keys.Order());
                foreach (var (key, value) in se)
                {
                    var actual = state.Tensors[key];
                    if (key.EndsWith(".step", StringComparison.Ordinal)) Assert.Equal(Data(value)[0], actual.ToDouble());
                    else AssertClose(value, actual, $"step {k + 1} {key}");
                }
                k++;
            }
        }
        finally
        {
            foreach (var p in ps) p.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void ClipGradNorm_MatchesPyTorch(string name, bool asTensor)
    {
        var c = Case("clip", name);
        var ps = Params(c);
        try
        {
            var dtype = DTypeOf(c);
            var grads = c.GetProperty("grads").EnumerateArray().ToArray();
            using (new DisposeScope())
            {
                for (var i = 0; i < ps.Length; i++) ps[i].Grad = ToTensor(grads[i], dtype);
            }
            var normType = c.GetProperty("norm_type") is { ValueKind: JsonValueKind.String } ? double.PositiveInfinity
                                                                                              : c.GetProperty("norm_type").GetDouble();
            double total;
            if (asTensor)
            {
                using var t = GradClip.ClipGradNormTensor(ps, c.GetProperty("max_norm").GetDouble(), normType);
                Assert.Equal((dtype, 0), (t.DType, t.Rank));
                total = t.ToDouble();
            }
            else
            {
                total = GradClip.ClipGradNorm(ps, c.GetProperty("max_norm").GetDouble(), normType);
            }
            var expected = c.GetProperty("total_norm").GetDouble();
            Assert.True(Math.Abs(total - expected) <= Rtol(dtype) * expected, $"total norm {total:R}, PyTorch {expected:R}");
            var clipped = c.GetProperty("clipped").EnumerateArray().ToArray();
            using var scope = new DisposeScope();
            for (var i = 0; i < ps.Length; i++)
            {
                if (clipped[i].ValueKind == JsonValueKind.Null) Assert.Null(ps[i].Grad);
                else AssertClose(clipped[i], ps[i].Grad!, $"clipped grad {i}");
            }
        }
        finally
        {
            foreach (var p in ps) p.Dispose();
        }
    }

    [Fact]
    public void ClipGradNorm_WithoutGradients_ReturnsZero()
    {
        using var p = Tensor.Ones(3).RequiresGrad_();
        Assert.Equal(0.0, GradClip.ClipGradNorm([p], 1.0));
        using var t = GradClip.ClipGradNormTensor([p], 1.0);
        Assert.Equal(0.0, t.ToDouble());
        Assert.Null(p.Grad);
    }
}
