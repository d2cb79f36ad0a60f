using System.Text.Json;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Torch.Tests.Nn;

/// <summary>
/// Each layer and functional op against PyTorch 1.13 itself (tests/fixtures/nn, written by
/// tools/fixtures/make_nn_fixture.py): same float64 inputs and weights (loaded through
/// LoadStateDict, which also checks the parameter names), same upstream gradient; the output and the
/// gradient of every input and parameter must agree to 1e-10.
/// </summary>
public class PyTorchParityTests : NnTestBase
{
    public static TheoryData<string> LayerCases => NnFixture.CaseNames("layers.json");
    public static TheoryData<string> FunctionalCases => NnFixture.CaseNames("functional.json");

    private static int Int(JsonElement kw, string name, int fallback) => kw.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;
    private static bool Bool(JsonElement kw, string name, bool fallback) => kw.TryGetProperty(name, out var v) ? v.GetBoolean() : fallback;

    private static Module<Tensor, Tensor> Build(string kind, JsonElement kw)
    {
        const DType f64 = DType.Float64;
        long[] Shape() => kw.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        double? Eps() => kw.TryGetProperty("eps", out var v) ? v.GetDouble() : null;
        return kind switch
        {
            "Linear" => new Linear(Int(kw, "in", 0), Int(kw, "out", 0), Bool(kw, "bias", true), dtype: f64),
            "Embedding" => new Embedding(Int(kw, "num", 0), Int(kw, "dim", 0), kw.TryGetProperty("padding_idx", out var p) ? p.GetInt64() : null, dtype: f64),
            "LayerNorm" => new LayerNorm(Shape(), Eps() ?? 1e-5, dtype: f64),
            "RMSNorm" => new RMSNorm(Shape(), Eps(), dtype: f64),
            "Conv2d" => new Conv2d(Int(kw, "in", 0), Int(kw, "out", 0), Int(kw, "k", 0), Int(kw, "stride", 1), Int(kw, "padding", 0),
                                   Int(kw, "dilation", 1), Int(kw, "groups", 1), Bool(kw, "bias", true), dtype: f64),
            "MaxPool2d" => new MaxPool2d(Int(kw, "k", 0), kw.TryGetProperty("stride", out var s) ? s.GetInt64() : null, Int(kw, "padding", 0),
                                         ceilMode: Bool(kw, "ceil_mode", false)),
            "AvgPool2d" => new AvgPool2d(Int(kw, "k", 0), kw.TryGetProperty("stride", out var s2) ? s2.GetInt64() : null, Int(kw, "padding", 0),
                                         countIncludePad: Bool(kw, "count_include_pad", true)),
            "ReLU" => new ReLU(),
            "GELU" => new GELU(Bool(kw, "tanh", false)),
            "SiLU" => new SiLU(),
            "Tanh" => new Tanh(),
            "Dropout" => new Dropout(kw.GetProperty("p").GetDouble()),
            "MLP" => new Sequential(new Linear(Int(kw, "in", 0), Int(kw, "hidden", 0), dtype: f64), new ReLU(),
                                    new Linear(Int(kw, "hidden", 0), Int(kw, "out", 0), dtype: f64)),
            _ => throw new InvalidOperationException($"no builder for {kind}"),
        };
    }

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_MatchesPyTorch_OutputAndGradients(string name)
    {
        var c = NnFixture.Case("layers.json", name);
        using var scope = new DisposeScope();
        using var module = Build(c.GetProperty("module").GetString()!, c.GetProperty("kwargs"));
        using (var state = new StateDict())
        {
            foreach (var p in c.GetProperty("state").EnumerateObject()) state.Add(p.Name, NnFixture.ToTensor(p.Value));
            var result = module.LoadStateDict(state);  // strict: the names must be PyTorch's
            Assert.True(result.IsComplete);
        }
        module.Train(c.GetProperty("train").GetBoolean());
        var x = NnFixture.ToTensor(c.GetProperty("inputs").GetProperty("x"));
        if (x.DType.IsFloatingPoint()) x.RequiresGrad = true;

        var y = module.Forward(x);
        Backward(c, y);

        NnFixture.AssertClose(c.GetProperty("output"), y, "output");
        foreach (var g in c.GetProperty("grads").EnumerateObject())
        {
            var leaf = g.Name == "x" ? x : module.GetParameter(g.Name["param.".Length..]).Value;
            using var grad = leaf.Grad;
            Assert.NotNull(grad);
            NnFixture.AssertClose(g.Value, grad, "grad of " + g.Name);
        }
    }

    private static Tensor Call(string op, JsonElement kw, Dictionary<string, Tensor> t)
    {
        Reduction Red() => kw.TryGetProperty("reduction", out var r) ? Enum.Parse<Reduction>(r.GetString()!, ignoreCase: true) : Reduction.Mean;
        return op switch
        {
            "cross_entropy" => Functional.CrossEntropy(t["logits"], t["target"], t.GetValueOrDefault("weight"),
                kw.TryGetProperty("ignore_index", out var ii) ? ii.GetInt64() : -100,
                kw.TryGetProperty("label_smoothing", out var ls) ? ls.GetDouble() : 0, Red()),
            "nll_loss" => Functional.NllLoss(t["log_probs"], t["target"], ignoreIndex: kw.GetProperty("ignore_index").GetInt64(), reduction: Red()),
            "mse" => Functional.Mse(t["input"], t["target"], Red()),
            "softmax" => Functional.Softmax(t["x"], kw.GetProperty("dim").GetInt64()),
            "log_softmax" => Functional.LogSoftmax(t["x"], kw.GetProperty("dim").GetInt64()),
            "sdpa" => Functional.ScaledDotProductAttention(t["q"], t["k"], t["v"], t.GetValueOrDefault("mask"),
                isCausal: Bool(kw, "is_causal", false), scale: kw.TryGetProperty("scale", out var sc) ? sc.GetDouble() : null),
            _ => throw new InvalidOperationException($"no call for {op}"),
        };
    }

    [Theory]
    [MemberData(nameof(FunctionalCases))]
    public void Functional_MatchesPyTorch_OutputAndGradients(string name)
    {
        var c = NnFixture.Case("functional.json", name);
        using var scope = new DisposeScope();
        var inputs = c.GetProperty("inputs").EnumerateObject().ToDictionary(p => p.Name, p => NnFixture.ToTensor(p.Value));
        var grads = c.GetProperty("grads");
        foreach (var g in grads.EnumerateObject()) inputs[g.Name].RequiresGrad = true;

        var y = Call(c.GetProperty("op").GetString()!, c.GetProperty("kwargs"), inputs);
        Backward(c, y);

        NnFixture.AssertClose(c.GetProperty("output"), y, "output");
        foreach (var g in grads.EnumerateObject())
        {
            using var grad = inputs[g.Name].Grad;
            Assert.NotNull(grad);
            NnFixture.AssertClose(g.Value, grad, "grad of " + g.Name);
        }
    }

    private static void Backward(JsonElement c, Tensor y)
    {
        if (c.TryGetProperty("upstream", out var up)) y.Backward(NnFixture.ToTensor(up));
        else y.Backward();
    }
}
