using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Intrinsic;
using LowRankTrainer.Tests.Losses;
using LowRankTrainer.Tests.Training;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using System.Numerics;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>
/// The intrinsic-subspace method (Li et al. 2018; Aghajanyan et al. 2021) against independent references: Fastfood
/// against the explicitly multiplied matrices H G Π H B, unit column norms, SAID's per-tensor scales against
/// W₀ + λ_t (P θ)_t built by hand, θ's gradient against float64 central differences, the memory budget, and no
/// tensor left behind by training steps.
/// </summary>
[Collection(TrainingSerial.Name)]
public class IntrinsicTests
{
    private static double Hadamard(long i, long j) => BitOperations.PopCount((ulong)(i & j)) % 2 == 0 ? 1 : -1;

    private static double[,] ToMatrix(Tensor t)
    {
        var rows = t.Shape[0];
        var cols = t.Shape[1];
        var flat = t.To(DType.Float64).ToArray<double>();
        var m = new double[rows, cols];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++) m[i, j] = flat[i * cols + j];
        }
        return m;
    }

    [Fact]
    public void Fastfood_SmallD_EqualsTheExplicitProductOfItsFactors()
    {
        const long d = 13;  // padded to LL = 16
        const int k = 5;
        using var g = new Generator(21);
        using var ff = new FastfoodProjection(d, k, g);
        Assert.Equal(16, ff.PaddedSize);
        var b = ff.B.To(DType.Float64).ToArray<double>();
        var perm = ff.Permutation.ToArray<long>();
        var gd = ff.G.To(DType.Float64).ToArray<double>();
        Assert.All(b, v => Assert.True(v is 1 or -1));
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (long)i), perm.Order());
        var divisor = Math.Sqrt(16 * gd.Sum(x => x * x)) * Math.Sqrt(d / 16.0);
        Assert.Equal(divisor, ff.Divisor, 9);

        // M = H · diag(G) · Π · H · diag(B), Π[i, perm[i]] = 1; P = M[:D, :k] / divisor.
        var ll = 16;
        var m = new double[ll, ll];
        for (var i = 0; i < ll; i++)
        {
            for (var j = 0; j < ll; j++)
            {
                double sum = 0;
                for (var q = 0; q < ll; q++) sum += Hadamard(i, q) * gd[q] * Hadamard(perm[q], j) * b[j];
                m[i, j] = sum;
            }
        }
        using var scope = new DisposeScope();
        var p = ToMatrix(ff.Matrix());
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < k; j++) Assert.Equal(m[i, j] / divisor, p[i, j], 5);
        }
        // Float64 θ goes through the same transform in float64.
        var theta = Tensor.From<double>([0.5, -1, 2, 0.25, -0.75], [k]);
        var y = ff.Apply(theta).ToArray<double>();
        for (var i = 0; i < d; i++)
        {
            double expected = 0;
            for (var j = 0; j < k; j++) expected += m[i, j] / divisor * theta.ToArray<double>()[j];
            Assert.Equal(expected, y[i], 9);
        }
    }

    [Fact]
    public void Fastfood_ColumnNorms_AreAboutOne()
    {
        using var g = new Generator(22);
        using var ff = new FastfoodProjection(3000, 48, g);
        using var scope = new DisposeScope();
        var norms = ff.Matrix().Norm(2, [0]).ToArray<float>();
        Assert.All(norms, n => Assert.InRange(n, 0.85f, 1.15f));
        Assert.InRange(norms.Average(), 0.97, 1.03);
    }

    [Fact]
    public void Fastfood_ComposedHadamard_OffTheCpuPath_MatchesTheNativeOne()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(23);
        var x = Tensor.Randn([3, 64], g, DType.Float64);
        Assert.True(FastfoodProjection.Hadamard(x, composed: true).AllClose(x.Fwht(), 1e-12, 1e-12));
    }

    [Fact]
    public void Dense_ColumnsHaveUnitNormOverTheWholeD()
    {
        using var g = new Generator(24);
        using var dense = new DenseProjection(565, 30, g, 256);
        using var scope = new DisposeScope();
        Assert.All(dense.P.Norm(2, [0]).ToArray<float>(), n => Assert.Equal(1f, n, 5));
    }

    [Fact]
    public void Sparse_EachColumnHasRoundSqrtNonZerosPerTensor_AndUnitNorm()
    {
        long[] blocks = [192, 16, 256, 16, 80, 5];
        using var g = new Generator(25);
        using var sparse = new SparseProjection(blocks, 7, g, 256);
        using var scope = new DisposeScope();
        var p = ToMatrix(sparse.Matrix());
        var perColumn = blocks.Sum(SparseProjection.NonZerosIn);
        Assert.Equal(14 + 4 + 16 + 4 + 9 + 2, perColumn);
        Assert.Equal(perColumn * 7, sparse.NonZeros);
        for (var j = 0; j < 7; j++)
        {
            long offset = 0;
            double norm2 = 0;
            foreach (var size in blocks)
            {
                var nz = 0;
                for (var i = offset; i < offset + size; i++)
                {
                    if (p[i, j] == 0) continue;
                    nz++;
                    Assert.Equal(1 / Math.Sqrt(perColumn), Math.Abs(p[i, j]), 6);
                    norm2 += p[i, j] * p[i, j];
                }
                Assert.Equal(SparseProjection.NonZerosIn(size), nz);
                offset += size;
            }
            Assert.Equal(1, norm2, 5);
        }
    }

    [Fact]
    public void Dense_OverTheMemoryBudget_IsRefusedWithAPointerToFastfood()
    {
        using var model = AdapterTestModels.Mlp();
        // D = 565, d = 565: 565² · 4 bytes ≈ 1.2 MiB > 1 MiB.
        var ex = Assert.Throws<ArgumentException>(() =>
            AdapterModel.Inject(model, new IntrinsicOptions { D = 565, Projection = IntrinsicProjectionKind.Dense, MaxProjectionMb = 1 }));
        Assert.Contains("adapter.max_projection_mb", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fastfood", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(model.NamedModules(), m => m.Module is AdapterLayer);
    }

    [Theory]
    [InlineData(0, false, "at least 1")]
    [InlineData(566, false, "must not exceed D")]
    [InlineData(6, true, "must exceed the number of projected tensors m = 6")]
    public void BadDimension_ErrorNamesTheKey(int d, bool said, string expected)
    {
        using var model = AdapterTestModels.Mlp();
        var ex = Assert.ThrowsAny<ArgumentException>(() => AdapterModel.Inject(model, new IntrinsicOptions { D = d, Said = said }));
        Assert.Contains("adapter.d", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(IntrinsicProjectionKind.Fastfood)]
    [InlineData(IntrinsicProjectionKind.Sparse)]
    public void Said_WeightsAreBasePlusScaledSlicesOfPTheta_BuiltByHand(IntrinsicProjectionKind kind)
    {
        using var reference = AdapterTestModels.Mlp();
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { D = 16, Said = true, Projection = kind, InitSeed = 8 });
        var layer0 = (IntrinsicLinear)adapted.Layers[0].Layer;
        var subspace = layer0.Subspace;
        Assert.Equal(10, subspace.Theta.Value.NumEl);
        Assert.Equal(Enumerable.Repeat(1f, 6), subspace.Lambda!.Value.ToArray<float>());
        Perturb(adapted);
        using var scope = new DisposeScope();
        var p = subspace.Projection.Matrix();
        var offset = p.MatMul(subspace.Theta.Value).ToArray<float>();
        var lambda = subspace.Lambda.Value.ToArray<float>();
        using (Autograd.NoGrad())
        {
            var t = 0;
            long at = 0;
            foreach (var (name, parameter) in reference.NamedParameters())
            {
                var n = parameter.Value.NumEl;
                var delta = offset[(int)at..(int)(at + n)].Select(v => v * lambda[t]).ToArray();
                parameter.Value.Add_(Tensor.From<float>(delta, parameter.Value.Shape));
                at += n;
                t++;
            }
        }
        model.Eval();
        reference.Eval();
        var x = AdapterTestModels.Input(model);
        Assert.True(MaxAbsDiff(reference.Forward(x), model.Forward(x)) < 1e-5);
    }

    [Fact]
    public void ThetaGradient_MatchesFloat64CentralDifferences()
    {
        using var model = AdapterTestModels.Mlp();
        model.To(DType.Float64);
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { D = 8, Said = true, InitSeed = 4 });
        Perturb(adapted);
        var theta = ((IntrinsicLinear)adapted.Layers[0].Layer).Subspace.Theta.Value;
        var lambda = ((IntrinsicLinear)adapted.Layers[0].Layer).Subspace.Lambda!.Value;
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model).To(DType.Float64);
        double Loss()
        {
            using var s = new DisposeScope();
            return model.Forward(x).Square().Sum().ToDouble();
        }
        model.Forward(x).Square().Sum().Backward();
        FiniteDifferences.AssertMatches("intrinsic_theta", Loss, theta, atol: 5e-6, rtol: 1e-5);
        FiniteDifferences.AssertMatches("intrinsic_lambda", Loss, lambda, atol: 5e-6, rtol: 1e-5);
    }

    [Fact]
    public void TwoForwardsInOneScope_SeeAnInPlaceUpdateOfTheta_AndAccumulateGradients()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { D = 6 });
        var theta = ((IntrinsicLinear)adapted.Layers[0].Layer).Subspace.Theta.Value;
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model);
        model.Forward(x).Sum().Backward();
        var first = theta.Grad!.Clone();
        model.Forward(x).Sum().Backward();  // gradient accumulation: a second graph through P θ, not the freed first one
        Assert.True(theta.Grad!.AllClose(first * 2, 1e-5, 1e-7));
        using (Autograd.NoGrad()) theta.Copy_(Tensor.Full([6], 0.2));
        var after = model.Forward(x);
        adapted.Merge();
        Assert.True(MaxAbsDiff(after, model.Forward(x)) < 1e-5);
        adapted.Disable();
        Assert.True(MaxAbsDiff(after, model.Forward(x)) > 1e-3);
    }

    [Fact]
    public void TrainingSteps_ReturnTheLiveTensorCountToItsBaseline()
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { D = 10, Said = true });
        var parameters = adapted.TrainableParameters().Select(p => p.Value).ToList();
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        for (var step = 0; step < 3; step++)
        {
            using (var scope = new DisposeScope())
            {
                model.Forward(AdapterTestModels.Input(model, (ulong)step)).Square().Mean().Backward();
                using (Autograd.NoGrad())
                {
                    foreach (var p in parameters) p.Sub_(p.Grad!, 0.1);
                }
            }
            Autograd.ZeroGrad(parameters);
            DisposeScope.CollectOrphans();
            Assert.Equal(baseline, Tensor.LiveCount);
        }
    }
}
