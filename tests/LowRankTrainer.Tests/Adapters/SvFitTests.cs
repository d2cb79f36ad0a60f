using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.SvFit;
using LowRankTrainer.Torch;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

public class SvFitTests
{
    /// <summary>The threshold rank recomputed here: float64 SVD, then a plain cumulative sum over σ² (or σ).</summary>
    private static int IndependentRank(Tensor w, double threshold, bool energy)
    {
        using var scope = new DisposeScope();
        var (_, s, _) = Linalg.Svd(w.Detach().To(DType.Float64));
        var values = s.ToArray<double>().Select(v => energy ? v * v : v).ToArray();
        var total = 0.0;
        foreach (var v in values) total += v;
        var cumulative = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            cumulative += values[i];
            if (cumulative / total >= threshold - 1e-12) return i + 1;
        }
        return values.Length;
    }

    [Theory]
    [InlineData(0.5, SvFitCriterion.Energy)]
    [InlineData(0.9, SvFitCriterion.Energy)]
    [InlineData(0.99, SvFitCriterion.Energy)]
    [InlineData(0.9, SvFitCriterion.Sum)]
    public void ThresholdRank_PerLayer_MatchesAnIndependentCount_AndIsTheTrainableCount(double threshold, SvFitCriterion criterion)
    {
        using var model = AdapterTestModels.Toy();
        var weights = new Dictionary<string, Tensor>();
        foreach (var name in new[] { "blocks.0.q_proj", "blocks.0.v_proj", "blocks.1.q_proj", "blocks.1.v_proj", "fc1" })
        {
            weights[name] = ((LowRankTrainer.Torch.Nn.Linear)model.GetSubmodule(name)).Weight.Value;
        }
        var expected = weights.ToDictionary(kv => kv.Key, kv => IndependentRank(kv.Value, threshold, criterion == SvFitCriterion.Energy));
        var adapted = AdapterModel.Inject(model, new SvFitOptions { TargetModules = ["q_proj", "v_proj", "fc1"], Threshold = threshold, Criterion = criterion });
        var ranks = SvFitMethod.Ranks(adapted);
        Assert.Equal(5, ranks.Count);
        foreach (var (name, rank) in ranks) Assert.Equal(expected[name], rank);
        Assert.Equal(ranks.Sum(r => (long)r.Rank), adapted.Summary().Trainable);
        if (threshold < 0.9) Assert.Contains(ranks, r => r.Rank < 8);  // the threshold does cut the spectrum
    }

    [Fact]
    public void ThresholdRanks_AreSavedPerLayer_SoTheAdapterLoadsOntoAnotherBase()
    {
        var folder = TempFolder();
        try
        {
            using var model = AdapterTestModels.Toy();
            var adapted = AdapterModel.Inject(model, new SvFitOptions { TargetModules = ["q_proj", "fc1"], Threshold = 0.6 });
            var ranks = SvFitMethod.Ranks(adapted);
            AdapterCheckpoint.Save(adapted, folder);
            var saved = Assert.IsType<SvFitOptions>(AdapterCheckpoint.ReadOptions(folder));
            Assert.Equal(ranks.ToDictionary(r => r.Name, r => r.Rank), saved.RankPattern);

            // A base whose blocks.0.q_proj has another spectrum: the threshold alone picks another rank there ...
            using var probe = AdapterTestModels.Toy();
            ScaleWeights(probe, 3.0, ["blocks.0.q_proj"]);
            var byThreshold = SvFitMethod.Ranks(AdapterModel.Inject(probe, new SvFitOptions { TargetModules = ["q_proj", "fc1"], Threshold = 0.6 }));
            Assert.NotEqual(ranks, byThreshold);
            // ... but the saved adapter loads onto it with its own ranks.
            using var same = AdapterTestModels.Toy();
            ScaleWeights(same, 3.0, ["blocks.0.q_proj"]);
            var loaded = AdapterCheckpoint.Load(same, folder);
            Assert.Equal(ranks, SvFitMethod.Ranks(loaded));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Replaces each named Linear's W by a rank-2 matrix times <paramref name="scale"/>, changing its spectrum.</summary>
    private static void ScaleWeights(LowRankTrainer.Torch.Nn.Module model, double scale, string[] names)
    {
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        foreach (var name in names)
        {
            var w = ((LowRankTrainer.Torch.Nn.Linear)model.GetSubmodule(name)).Weight.Value;
            using var g = new Generator(5);
            var low = Tensor.Randn([w.Size(0), 2], g).MatMul(Tensor.Randn([2, w.Size(1)], g)) * scale;
            w.Copy_(low);
        }
    }

    [Fact]
    public void Init_OutputEqualsBase_AndWrPlusWeIsW0()
    {
        using var model = AdapterTestModels.Mlp();
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model);
        model.Eval();
        var before = model.Forward(x).Detach();
        var adapted = AdapterModel.Inject(model, new SvFitOptions { TargetModules = ["all-linear"], Threshold = 0.9 });
        Assert.Equal(0, MaxAbsDiff(before, model.Forward(x)));
        foreach (var (_, layer) in adapted.Layers)
        {
            var sv = (SvFitLinear)layer;
            var w0 = sv.BaseLayer.Weight.Value.To(DType.Float64);
            var (u, s0, vh) = (sv.U.Value.To(DType.Float64), sv.Sigma0.Value.To(DType.Float64), sv.Vh.Value.To(DType.Float64));
            Assert.True(sv.Sigma.Value.ValueEquals(sv.Sigma0.Value), "σ starts at σ⁰");
            var wr = (u * s0.Unsqueeze(0)).Mm(vh);
            var we = w0 - wr;
            Assert.True(MaxAbsDiff(wr + we, w0) <= 1e-6);
            // W_r is the best rank-r approximation: its residual's norm is the discarded singular values' energy.
            var (_, s, _) = Linalg.Svd(w0);
            var tail = s.Narrow(0, sv.Rank, s.Shape[0] - sv.Rank).Square().Sum().Sqrt().ToDouble();
            Assert.True(Math.Abs(we.Square().Sum().Sqrt().ToDouble() - tail) <= 1e-5);
            Assert.Equal(0, MaxAbsDiff(sv.DeltaWeight(), Tensor.Zeros(sv.BaseLayer.Weight.Value.Shape)));
        }
        adapted.Merge();
        Assert.True(MaxAbsDiff(before, model.Forward(x)) <= 1e-6);
    }

    [Fact]
    public void Gradients_ReachOnlySigma()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = AdapterModel.Inject(model, new SvFitOptions { TargetModules = ["q_proj", "v_proj"], R = 4 });
        using var scope = new DisposeScope();
        model.Forward(AdapterTestModels.Input(model)).Square().Sum().Backward();
        var sigmas = adapted.Layers.Select(l => (object)((SvFitLinear)l.Layer).Sigma).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in model.NamedParameters())
        {
            var isSigma = sigmas.Contains(p);
            Assert.Equal(isSigma, name.EndsWith("svfit_sigma", StringComparison.Ordinal));
            Assert.True(isSigma == p.RequiresGrad, name);
            Assert.True(isSigma == (p.Value.Grad is not null), name);
        }
        Assert.All(model.NamedBuffers(), b => Assert.Null(b.Buffer.Value.Grad));
        Assert.Equal(16, adapted.Summary().Trainable);
    }

    [Fact]
    public void Trained_MergedWeightIsUrDiagSigmaVrPlusWe()
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new SvFitOptions { TargetModules = ["layers.2"], R = 5 });
        var sv = (SvFitLinear)adapted.Layers[0].Layer;
        using var scope = new DisposeScope();
        using (var g = new Generator(8))
        using (Autograd.NoGrad()) sv.Sigma.Value.Add_(Tensor.Randn([5], g));
        var w0 = sv.BaseLayer.Weight.Value.To(DType.Float64).Clone();
        var (u, s0, vh, sigma) = (sv.U.Value.To(DType.Float64), sv.Sigma0.Value.To(DType.Float64), sv.Vh.Value.To(DType.Float64), sv.Sigma.Value.To(DType.Float64));
        var we = w0 - (u * s0.Unsqueeze(0)).Mm(vh);
        var expected = (u * sigma.Unsqueeze(0)).Mm(vh) + we;
        using var xg = new Generator(1);
        var x = Tensor.Randn([3, 16], xg);
        var unmerged = sv.Forward(x).Detach();
        adapted.Merge();
        Assert.True(MaxAbsDiff(sv.BaseLayer.Weight.Value.To(DType.Float64), expected) <= 1e-5);
        Assert.True(MaxAbsDiff(unmerged, sv.Forward(x)) <= 1e-5);
    }

    [Fact]
    public void RankFor_Edges()
    {
        Assert.Equal(1, SvFitOptions.RankFor([3, 0, 0], 0.99, SvFitCriterion.Energy));
        Assert.Equal(2, SvFitOptions.RankFor([2, 1, 1], 0.8, SvFitCriterion.Energy));  // 4/6 < 0.8 ≤ 5/6
        Assert.Equal(3, SvFitOptions.RankFor([2, 1, 1], 0.8, SvFitCriterion.Sum));     // 3/4 < 0.8 ≤ 1
        Assert.Equal(3, SvFitOptions.RankFor([2, 1, 1], 1.0, SvFitCriterion.Energy));
        Assert.Throws<ArgumentOutOfRangeException>(() => SvFitOptions.RankFor([1], 0, SvFitCriterion.Energy));
        Assert.Throws<ArgumentOutOfRangeException>(() => SvFitOptions.RankFor([1], 1.5, SvFitCriterion.Energy));
    }
}
