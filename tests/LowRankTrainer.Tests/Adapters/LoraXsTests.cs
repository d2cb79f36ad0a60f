using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.LoraXs;
using LowRankTrainer.Torch;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

public class LoraXsTests
{
    /// <summary>The rank-r truncation U_r diag(S_r) V_rᵀ of <paramref name="w"/>, computed here in float64.</summary>
    private static Tensor RankR(Tensor w, int r)
    {
        var (u, s, vh) = Linalg.Svd(w.Detach().To(DType.Float64));
        return (u.Narrow(1, 0, r) * s.Narrow(0, 0, r).Unsqueeze(0)).Mm(vh.Narrow(0, 0, r));
    }

    [Theory]
    [InlineData("layers.0", 3)]
    [InlineData("layers.2", 16)]
    [InlineData("layers.4", 5)]
    public void FrozenFactors_AreTheTruncatedSvd_BOrthonormal_SigmaInA(string target, int r)
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new LoraXsOptions { TargetModules = [target], R = r });
        var xs = Assert.IsType<LoraXsLinear>(adapted.Layers[0].Layer);
        using var scope = new DisposeScope();
        var w = xs.BaseLayer.Weight.Value;
        var (a, b) = (xs.A.Value.To(DType.Float64), xs.B.Value.To(DType.Float64));
        Assert.Equal([(long)r, w.Shape[1]], xs.A.Value.Shape);
        Assert.Equal([w.Shape[0], (long)r], xs.B.Value.Shape);
        Assert.Equal([(long)r, (long)r], xs.Latent.Value.Shape);
        Assert.True(MaxAbsDiff(b.Mm(a), RankR(w, r)) <= 1e-5, "B·A is the rank-r approximation of W0");
        Assert.True(MaxAbsDiff(b.MT.Mm(b), Tensor.Eye(r, dtype: DType.Float64)) <= 1e-5, "B = U_r has orthonormal columns");
        var (_, s, _) = Linalg.Svd(w.Detach().To(DType.Float64));
        var rowNorms = a.Square().Sum(1).Sqrt();
        Assert.True(MaxAbsDiff(rowNorms, s.Narrow(0, 0, r)) <= 1e-5, "the rows of A = Σ_r V_rᵀ have norms σ_i");
        if (r == Math.Min(w.Shape[0], w.Shape[1])) Assert.True(MaxAbsDiff(b.Mm(a), w.To(DType.Float64)) <= 1e-5, "full rank reconstructs W0");
    }

    [Fact]
    public void DeltaWeight_IsScaledBRA_AndTheForwardAddsIt()
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new LoraXsOptions { TargetModules = ["layers.0"], R = 4, Alpha = 12 });
        var xs = (LoraXsLinear)adapted.Layers[0].Layer;
        Assert.Equal(3.0, xs.Scaling, 12);
        using var scope = new DisposeScope();
        using (var g = new Generator(11))
        using (Autograd.NoGrad()) xs.Latent.Value.Copy_(Tensor.Randn([4, 4], g));
        var expected = xs.B.Value.To(DType.Float64).Mm(xs.Latent.Value.To(DType.Float64)).Mm(xs.A.Value.To(DType.Float64)) * 3.0;
        Assert.True(MaxAbsDiff(xs.DeltaWeight().To(DType.Float64), expected) <= 1e-4);
        using var xg = new Generator(2);
        var x = Tensor.Randn([5, 12], xg);
        var branch = xs.Forward(x) - xs.BaseLayer.Forward(x);
        Assert.True(MaxAbsDiff(branch, x.MatMul(xs.DeltaWeight().MT)) <= 1e-4);
    }

    [Fact]
    public void Init_RIsSmallGaussian_OnlyRGetsGradients()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = AdapterModel.Inject(model, new LoraXsOptions { TargetModules = ["q_proj", "v_proj"], R = 6, InitSeed = 3 });
        using var scope = new DisposeScope();
        var all = Tensor.Cat(adapted.Layers.Select(l => ((LoraXsLinear)l.Layer).Latent.Value.Flatten()).ToArray());
        var std = all.Std().ToDouble();
        Assert.InRange(std, 0.5e-5, 1.5e-5);
        Perturb(adapted);
        model.Forward(AdapterTestModels.Input(model)).Square().Sum().Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            var isR = name.EndsWith("lora_latent_mapping.weight", StringComparison.Ordinal);
            Assert.True(isR == (p.Value.Grad is not null), name);
        }
        Assert.All(model.NamedBuffers(), b => Assert.Null(b.Buffer.Value.Grad));
        Assert.Equal(4 * 36, adapted.Summary().Trainable);
    }

    [Fact]
    public void RankAboveMinDimension_IsRefused()
    {
        using var model = AdapterTestModels.Mlp();
        Assert.Throws<ArgumentOutOfRangeException>(() => AdapterModel.Inject(model, new LoraXsOptions { TargetModules = ["layers.4"], R = 6 }));
        Assert.DoesNotContain(model.NamedModules(), m => m.Module is AdapterLayer);
    }
}
