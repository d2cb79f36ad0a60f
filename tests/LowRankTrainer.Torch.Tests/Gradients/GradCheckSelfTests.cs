using LowRankTrainer.Torch;
using TorchAutograd = LowRankTrainer.Torch.Autograd;
using Xunit.Sdk;

namespace LowRankTrainer.Torch.Tests.Gradients;

/// <summary>The harness must fail on wrong gradients and leaks, or its passes mean nothing.</summary>
[Collection(AutogradSerial.Name)]
public sealed class GradCheckSelfTests
{
    private static readonly long[] Shape23 = [2, 3];
    private static readonly double[] X = [0.5, -1.25, 2.0, 0.75, -0.3, 1.1];

    private static double[] Weights(long[] shape)
    {
        using var scope = new DisposeScope();
        using var g = new Generator(GradCheckOptions.Default.WeightSeed);
        return Tensor.Randn(shape, g, DType.Float64).ToArray<double>();
    }

    [Fact]
    public void CorrectGradient_Passes_AndMatchesClosedForm()
    {
        // L = Σ x²·w, so dL/dx = 2·x·w for the harness's own weighting w.
        var report = GradCheck.Check("square", x => x[0] * x[0], [X], [Shape23]);
        var w = Weights(Shape23);
        Assert.True(report.Passed);
        for (var j = 0; j < X.Length; j++)
        {
            Assert.Equal(2 * X[j] * w[j], report.Analytic[0][j], 12);
            Assert.Equal(2 * X[j] * w[j], report.Numeric[0][j], 8);
        }
        Assert.Equal(X.Select((v, j) => v * v * w[j]).Sum(), report.LossValue, 12);
    }

    [Fact]
    public void WrongAnalyticGradient_IsCaught_WithOpInputElementAndValues()
    {
        // x·detach(x): autograd sees only one factor (analytic x·w), the true derivative is 2·x·w.
        GradFunction halfGradient = x => x[0] * x[0].Detach();
        var report = GradCheck.Run("half-gradient", halfGradient, [X], [Shape23]);
        Assert.False(report.Passed);
        var m = report.Mismatch!;
        Assert.Equal(0, m.Input);
        Assert.Equal(m.Numeric / 2, m.Analytic, 8);

        var ex = Assert.ThrowsAny<XunitException>(() => GradCheck.Check("half-gradient", halfGradient, [X], [Shape23]));
        Assert.Contains("half-gradient", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"input 0, element {m.Element}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("analytic", ex.Message, StringComparison.Ordinal);
        Assert.Contains("numeric", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingGradient_IsCaught_AsZerosAgainstNonzeroNumeric()
    {
        // The second input's path is cut: its Grad stays null, read as zeros; numerically it is w.
        var report = GradCheck.Run("cut-path", x => x[0] + x[1].Detach(), [X, X], [Shape23, Shape23]);
        Assert.False(report.Passed);
        Assert.Equal(1, report.Mismatch!.Input);
        Assert.All(report.Analytic[1], v => Assert.Equal(0.0, v));
        Assert.Equal(Weights(Shape23), report.Numeric[1], new ToleranceComparer(1e-8));
    }

    [Fact]
    public void Compare_FlagsAPerturbedNumericResult_AndToleratesRoundingNoise()
    {
        var report = GradCheck.Check("mul", x => x[0] * x[1], [X, X], [Shape23, Shape23]);
        var numeric = report.Numeric.Select(a => (double[])a.Clone()).ToArray();

        numeric[1][4] += 1e-3;
        var m = GradCheck.Compare("mul", report.Analytic, numeric, 1e-6, 1e-4);
        Assert.NotNull(m);
        Assert.Equal((1, 4L), (m.Input, m.Element));

        numeric[1][4] = report.Numeric[1][4] + 1e-9;
        Assert.Null(GradCheck.Compare("mul", report.Analytic, numeric, 1e-6, 1e-4));

        numeric[0][2] = double.NaN;
        Assert.Equal((0, 2L), (GradCheck.Compare("mul", report.Analytic, numeric, 1e-6, 1e-4)!.Input,
                               GradCheck.Compare("mul", report.Analytic, numeric, 1e-6, 1e-4)!.Element));
    }

    [Fact]
    public void NumericSide_RunsWithoutAutograd_OnFreshInputs()
    {
        int withGrad = 0, withoutGrad = 0, other = 0;
        GradFunction probe = x =>
        {
            var recording = TorchAutograd.IsGradEnabled;
            var leaf = x[0].RequiresGrad && x[0].IsLeaf;
            if (recording && leaf) withGrad++;
            else if (!recording && !x[0].RequiresGrad) withoutGrad++;
            else other++;
            return x[0].Exp();
        };
        GradCheck.Check("probe", probe, [X], [Shape23]);
        Assert.Equal(1, withGrad);
        Assert.Equal(2 * X.Length, withoutGrad);
        Assert.Equal(0, other);
        Assert.True(TorchAutograd.IsGradEnabled);
    }

    [Fact]
    public void LeakingFunction_IsCaught()
    {
        var leaked = new List<Tensor>();
        GradFunction leaky = x =>
        {
            using (DisposeScope.Suspend()) leaked.Add(Tensor.Zeros(1));
            return x[0] * 2.0;
        };
        try
        {
            var ex = Assert.ThrowsAny<XunitException>(() => GradCheck.Run("leaky", leaky, [X], [Shape23]));
            Assert.Contains("leaked", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var t in leaked) t.Dispose();
        }
    }

    [Fact]
    public void NonFloat64Result_IsRejected()
    {
        var ex = Assert.ThrowsAny<XunitException>(() => GradCheck.Run("to-f32", x => x[0].To(DType.Float32), [X], [Shape23]));
        Assert.Contains("float64", ex.Message, StringComparison.Ordinal);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
