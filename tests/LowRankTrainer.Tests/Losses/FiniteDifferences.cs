using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Losses;

/// <summary>
/// Float64 central differences for the loss tests: perturbs one element of a float64 leaf at a time
/// (in place, under no-grad) and re-evaluates the scalar loss, then compares with autograd's gradient.
/// </summary>
internal static class FiniteDifferences
{
    /// <summary>∂L/∂t for every element of <paramref name="leaf"/>, by (L(t+ε) − L(t−ε)) / 2ε.</summary>
    public static double[] Gradient(Func<double> loss, Tensor leaf, double eps = 1e-6)
    {
        var shape = leaf.Shape;
        var values = leaf.ToArray<double>();
        var grad = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var original = values[i];
            values[i] = original + eps;
            Set(leaf, values, shape);
            var plus = loss();
            values[i] = original - eps;
            Set(leaf, values, shape);
            var minus = loss();
            values[i] = original;
            Set(leaf, values, shape);
            grad[i] = (plus - minus) / (2 * eps);
        }
        return grad;
    }

    /// <summary>
    /// Asserts autograd's gradient of <paramref name="leaf"/> matches the numeric one element-wise (no gradient
    /// at all counts as zeros, which the numeric side must then confirm).
    /// </summary>
    public static void AssertMatches(string what, Func<double> loss, Tensor leaf, double atol = 1e-7, double rtol = 1e-5)
    {
        var numeric = Gradient(loss, leaf);
        using var g = leaf.Grad;
        var analytic = g?.ToArray<double>() ?? new double[numeric.Length];
        Assert.Equal(numeric.Length, analytic.Length);
        for (var i = 0; i < numeric.Length; i++)
        {
            var tol = atol + rtol * Math.Abs(numeric[i]);
            Assert.True(Math.Abs(numeric[i] - analytic[i]) <= tol, $"{what}[{i}]: analytic {analytic[i]:R} vs numeric {numeric[i]:R}");
        }
    }

    private static void Set(Tensor leaf, double[] values, long[] shape)
    {
        using var noGrad = Autograd.NoGrad();
        using var source = Tensor.From<double>(values, shape);
        leaf.Copy_(source);
    }

    /// <summary>A float64 leaf [rows, cols] with N(0, 1) entries from <paramref name="g"/>.</summary>
    public static Tensor Leaf(Generator g, params long[] shape)
    {
        using var suspended = DisposeScope.Suspend();
        return Tensor.Randn(shape, g, DType.Float64).RequiresGrad_();
    }
}
