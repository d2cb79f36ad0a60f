using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data;

/// <summary>
/// <see cref="SyntheticLinear"/>: the target map's norm and spectrum against their closed forms, its determinism, and the
/// basis-input dataset (inputs e_j, targets T e_j).
/// </summary>
public sealed class SyntheticLinearTests
{
    [Theory]
    [InlineData("gaussian", 32)]
    [InlineData("orthogonal", 32)]
    [InlineData("gaussian", 7)]
    [InlineData("orthogonal", 1)]
    public void Target_IsFloat64_dByd_WithFrobeniusNormSquaredExactly_dSquared(string kind, int d)
    {
        using var t = SyntheticLinear.Target(d, kind, seed: 3);
        using var scope = new DisposeScope();
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal([(long)d, d], t.Shape);
        Assert.Equal(d * (double)d, t.Square().Sum().ToDouble(), 1e-9 * d * d);
    }

    [Fact]
    public void Orthogonal_HasAFlatSpectrum_EverySingularValueSqrtD()
    {
        const int d = 32;
        using var t = SyntheticLinear.Target(d, "orthogonal", seed: 5);
        using var scope = new DisposeScope();
        var sigma = Linalg.Svd(t).S.ToArray<double>();
        Assert.Equal(d, sigma.Length);
        Assert.All(sigma, s => Assert.Equal(Math.Sqrt(d), s, 1e-9));
        // TᵀT = d·I: the columns are orthogonal with squared norm d.
        var gram = t.MT.MatMul(t) - (Tensor.Eye(d, dtype: DType.Float64) * d);
        Assert.True(gram.Abs().Max().ToDouble() < 1e-9);
    }

    [Fact]
    public void Gaussian_IsTheSeededStandardNormalDraw_Rescaled_AndFullRankWithASpreadSpectrum()
    {
        const int d = 32;
        using var t = SyntheticLinear.Target(d, "gaussian", seed: 11);
        using var g = new Generator(11);
        using var scope = new DisposeScope();
        var raw = Tensor.Randn([d, d], g, DType.Float64);
        var expected = raw * (d / raw.Square().Sum().Sqrt().ToDouble());
        Assert.True((t - expected).Abs().Max().ToDouble() < 1e-12);
        var sigma = Linalg.Svd(t).S.ToArray<double>();
        Assert.True(sigma[^1] > 1e-6 * sigma[0], "full rank");
        // A square Gaussian with unit-variance entries: σ_max ≈ 2√d, σ_min of order 1/√d — far from flat.
        Assert.True(sigma[0] / sigma[^1] > 10, $"σ_max/σ_min = {sigma[0] / sigma[^1]}");
    }

    [Theory]
    [InlineData("gaussian")]
    [InlineData("orthogonal")]
    public void SameSeed_SameTarget_OtherSeed_Different(string kind)
    {
        using var a = SyntheticLinear.Target(16, kind, seed: 0);
        using var b = SyntheticLinear.Target(16, kind, seed: 0);
        using var c = SyntheticLinear.Target(16, kind, seed: 1);
        Assert.Equal(a.ToArray<double>(), b.ToArray<double>());
        Assert.NotEqual(a.ToArray<double>(), c.ToArray<double>());
    }

    [Fact]
    public void Dataset_InputsAreTheBasisVectors_TargetsAreTheMapsColumns()
    {
        double[] map = [1, 2, 3, 4, 5, 6];   // T = [[1, 2, 3], [4, 5, 6]]: d_out 2, d_in 3
        using var t = Tensor.From<double>(map, [2, 3]);
        using var data = SyntheticLinear.Dataset(t);
        Assert.Equal(3, data.Count);
        Assert.Equal(DType.Float32, data.Inputs.DType);
        Assert.Equal(DType.Float32, data.Targets.DType);
        Assert.Equal([1f, 0, 0, 0, 1, 0, 0, 0, 1], data.Inputs.ToArray<float>());
        // Row j is T e_j, the j-th column of T.
        Assert.Equal([1f, 4, 2, 5, 3, 6], data.Targets.ToArray<float>());
        Assert.Equal([3L, 2L], data.Targets.Shape);
    }

    [Fact]
    public void UnknownKind_IsRefused_NamingTheKey()
    {
        var e = Assert.Throws<ArgumentException>(() => SyntheticLinear.Target(4, "uniform", 0));
        Assert.Contains("data.synthetic_target 'uniform'", e.Message, StringComparison.Ordinal);
    }
}
