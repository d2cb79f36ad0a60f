using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// The synthetic_linear evaluation against closed forms: the MSE of y = W x over the basis inputs is ‖W − T‖²_F / d²
/// (1 at W = 0, 0 at W = T), the best rank-k map (SVD truncation of T) scores exactly the Eckart–Young floor
/// Σ_{i&gt;k} σ_i² / Σ σ_i², and <see cref="LinearMapMetrics"/> reads the learned map's rank through any adapter.
/// </summary>
public sealed class LinearMapMetricsTests
{
    private const int D = 24;
    private static readonly LossFunction Mse = new(new LossConfig { Name = "mse" });

    /// <summary>A bias-free linear model whose weight is <paramref name="w"/> (float64 → float32).</summary>
    private static LinearModel ModelWith(Tensor w, bool bias = false)
    {
        using var g = new Generator(1);
        var model = new LinearModel(w.Size(1), w.Size(0), bias, zeros: false, g);
        using var noGrad = Autograd.NoGrad();
        model.Layer.Weight.Value.Copy_(w.To(DType.Float32));
        return model;
    }

    /// <summary>U_k diag(σ_1…σ_k) V_kᵀ: the best rank-k approximation of <paramref name="t"/> (Eckart–Young).</summary>
    private static Tensor Truncate(Tensor t, int k)
    {
        var (u, s, vh) = Linalg.Svd(t);
        return (u.Narrow(1, 0, k) * s.Narrow(0, 0, k).Unsqueeze(0)).MatMul(vh.Narrow(0, 0, k));
    }

    private static double Floor(Tensor t, int k)
    {
        var sigma = Linalg.Svd(t).S.ToArray<double>();
        return sigma.Skip(k).Sum(s => s * s) / sigma.Sum(s => s * s);
    }

    [Theory]
    [InlineData("gaussian")]
    [InlineData("orthogonal")]
    public void AtWZero_TheMseIsExactlyOne_RankZero_FloorOne(string kind)
    {
        using var t = SyntheticLinear.Target(D, kind, seed: 2);
        using var data = SyntheticLinear.Dataset(t);
        using var g = new Generator(1);
        using var model = new LinearModel(D, D, bias: false, zeros: true, g);
        Assert.Equal(1.0, Mse.Evaluate(model, data, batchSize: 7).Loss, 1e-6);
        var metrics = new LinearMapMetrics(t).Measure(model);
        Assert.Equal(0, metrics["effective_rank"]);
        Assert.Equal(1.0, metrics["rank_floor"], 1e-12);
    }

    [Theory]
    [InlineData("gaussian", 1)]
    [InlineData("gaussian", 5)]
    [InlineData("gaussian", 16)]
    [InlineData("orthogonal", 4)]
    public void TheBestRankKMap_ScoresTheEckartYoungFloor_AndHasRankK(string kind, int k)
    {
        using var t = SyntheticLinear.Target(D, kind, seed: 3);
        using var data = SyntheticLinear.Dataset(t);
        using var scope = new DisposeScope();
        using var model = ModelWith(Truncate(t, k));
        var floor = Floor(t, k);
        if (kind == "orthogonal") Assert.Equal((D - k) / (double)D, floor, 1e-12);   // every σ_i² = d
        var metrics = new LinearMapMetrics(t).Measure(model);
        Assert.Equal(k, metrics["effective_rank"]);
        Assert.Equal(floor, metrics["rank_floor"], 1e-12);
        Assert.Equal(floor, Mse.Evaluate(model, data, batchSize: 10).Loss, 1e-5);
    }

    [Fact]
    public void AnExactFit_HasLossZero_FullRank_FloorZero()
    {
        using var t = SyntheticLinear.Target(D, "gaussian", seed: 4);
        using var data = SyntheticLinear.Dataset(t);
        using var model = ModelWith(t);
        Assert.Equal(0.0, Mse.Evaluate(model, data, batchSize: 256).Loss, 1e-10);
        var metrics = new LinearMapMetrics(t).Measure(model);
        Assert.Equal(D, metrics["effective_rank"]);
        Assert.Equal(0.0, metrics["rank_floor"]);
    }

    [Fact]
    public void RankFloor_ByHand_ForKnownSingularValues()
    {
        // σ = (3, 2, 1): energies 9, 4, 1 of 14.
        using var t = Tensor.From<double>([0, 3, 0, 0, 0, -2, 1, 0, 0], [3, 3]);
        var metrics = new LinearMapMetrics(t);
        Assert.Equal([1.0, 5 / 14.0, 1 / 14.0, 0, 0], [metrics.RankFloor(0), metrics.RankFloor(1), metrics.RankFloor(2), metrics.RankFloor(3), metrics.RankFloor(9)]);
    }

    [Fact]
    public void TheBiasCancels_TheRankIsThatOfW()
    {
        using var t = SyntheticLinear.Target(D, "gaussian", seed: 5);
        using var scope = new DisposeScope();
        using var model = ModelWith(Truncate(t, 3), bias: true);   // b keeps nn.Linear's random init
        Assert.True(model.Layer.Bias!.Value.Abs().Sum().ToDouble() > 0);
        Assert.Equal(3, new LinearMapMetrics(t).Measure(model)["effective_rank"]);
    }

    [Fact]
    public void ThroughAnUnmergedLora_TheRankIsThatOfTheUpdate_AndMergingChangesNothing()
    {
        using var t = SyntheticLinear.Target(D, "orthogonal", seed: 6);
        using var g = new Generator(7);
        using var model = new LinearModel(D, D, bias: false, zeros: true, g);
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["linear"], R = 3, Alpha = 3 });
        var lora = (LoraLinear)adapted.Layers[0].Layer;
        using (Autograd.NoGrad()) lora.B.Value.Copy_(Tensor.Randn([D, 3], g));
        var metrics = new LinearMapMetrics(t);
        // The forward runs the adapter (the model looks its child up), so W_eff = ΔW = s·B·A, of rank 3.
        Assert.Equal(3, metrics.Measure(model)["effective_rank"]);
        var unmerged = metrics.LearnedSingularValues(model);
        adapted.Merge();
        var merged = metrics.LearnedSingularValues(model);
        Assert.Equal(3, LinearMapMetrics.EffectiveRank(merged));
        for (var i = 0; i < 3; i++) Assert.Equal(unmerged[i], merged[i], 1e-4 * unmerged[0]);
    }
}
