using System.Globalization;
using LowRankTrainer.Torch;
using TorchAutograd = LowRankTrainer.Torch.Autograd;

namespace LowRankTrainer.Torch.Tests.Gradients;

/// <summary>
/// Every test in this folder runs alone: the leak checks compare <see cref="Tensor.LiveCount"/>, which
/// counts the handles of every thread, so no other test may create tensors meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AutogradSerial
{
    public const string Name = "Autograd (serial: leak checks read the process-wide live count)";
}

/// <summary>The function under test: takes the inputs (leaves or plain constants) and returns y.</summary>
public delegate Tensor GradFunction(IReadOnlyList<Tensor> inputs);

/// <summary>Tolerances and knobs of one gradient check.</summary>
public sealed record GradCheckOptions
{
    /// <summary>Central-difference step.</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary>Absolute tolerance.</summary>
    public double Atol { get; init; } = 1e-6;

    /// <summary>Relative tolerance (relative to |numeric|).</summary>
    public double Rtol { get; init; } = 1e-4;

    /// <summary>Seed of the random weighting w in L = Σ y·w.</summary>
    public ulong WeightSeed { get; init; } = 0x5EED;

    public static GradCheckOptions Default { get; } = new();
}

/// <summary>The worst element of a comparison (largest excess over its tolerance).</summary>
public sealed record GradMismatch(string Op, int Input, long Element, double Analytic, double Numeric, double Tolerance)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Op}: input {Input}, element {Element}: analytic {Analytic:R} vs numeric {Numeric:R} " +
        $"(|diff| {Math.Abs(Analytic - Numeric):E3} > tolerance {Tolerance:E3})");
}

/// <summary>Analytic and numeric gradients of one check, plus the worst mismatch (null when within tolerance).</summary>
public sealed record GradCheckReport(string Op, double[][] Analytic, double[][] Numeric, GradMismatch? Mismatch, double LossValue)
{
    public bool Passed => Mismatch is null;
}

/// <summary>
/// Gradient checking against float64 central differences: the analytic side is libtorch's autograd
/// (through the binding), the numeric side re-evaluates the function on fresh tensors built from
/// plain double arrays under <see cref="TorchAutograd.NoGrad"/>, one perturbed element at a time.
/// Both sides reduce y to the scalar L = Σ y·w with the same seeded random weighting w.
/// </summary>
public static class GradCheck
{
    /// <summary>Runs the check and fails the test (op, input, element and both values in the message) on a mismatch.</summary>
    public static GradCheckReport Check(string op, GradFunction f, IReadOnlyList<double[]> data, IReadOnlyList<long[]> shapes,
                                        GradCheckOptions? options = null)
    {
        var report = Run(op, f, data, shapes, options);
        if (report.Mismatch is { } m) Assert.Fail("gradient check failed: " + m);
        return report;
    }

    /// <summary>
    /// Computes both gradients and compares them, without asserting the result; asserts only that
    /// every tensor created on the way was freed (the live count returns to its starting value).
    /// </summary>
    public static GradCheckReport Run(string op, GradFunction f, IReadOnlyList<double[]> data, IReadOnlyList<long[]> shapes,
                                      GradCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shapes);
        if (data.Count != shapes.Count) throw new ArgumentException("one shape per input is needed", nameof(shapes));
        for (var i = 0; i < data.Count; i++)
        {
            if (data[i].LongLength != Product(shapes[i]))
            {
                throw new ArgumentException($"input {i}: {data[i].Length} values do not fill shape [{string.Join(", ", shapes[i])}]", nameof(data));
            }
        }
        options ??= GradCheckOptions.Default;

        // Tensors dropped by earlier tests are freed by the GC safety net at some scope exit; flush
        // them now so that they cannot move the live count during this check.
        DisposeScope.CollectOrphans();
        var liveBefore = Tensor.LiveCount;

        double[][] analytic;
        double[][] numeric;
        double loss;
        using (var scope = new DisposeScope())
        {
            using var weightGenerator = new Generator(options.WeightSeed);
            (analytic, loss, var weight) = AnalyticGradients(op, f, data, shapes, weightGenerator);
            numeric = NumericGradients(f, data, shapes, weight, options.Eps);
        }
        Assert.True(liveBefore == Tensor.LiveCount,
                    $"{op}: the check leaked tensors (live count {liveBefore} before, {Tensor.LiveCount} after)");

        var mismatch = Compare(op, analytic, numeric, options.Atol, options.Rtol);
        return new GradCheckReport(op, analytic, numeric, mismatch, loss);
    }

    /// <summary>
    /// The element where |analytic − numeric| exceeds atol + rtol·|numeric| by the most, or null when
    /// every element is within tolerance (NaN anywhere is a mismatch).
    /// </summary>
    public static GradMismatch? Compare(string op, IReadOnlyList<double[]> analytic, IReadOnlyList<double[]> numeric, double atol, double rtol)
    {
        ArgumentNullException.ThrowIfNull(analytic);
        ArgumentNullException.ThrowIfNull(numeric);
        if (analytic.Count != numeric.Count) throw new ArgumentException("analytic and numeric gradients differ in input count");
        GradMismatch? worst = null;
        var worstExcess = 0.0;
        for (var i = 0; i < analytic.Count; i++)
        {
            if (analytic[i].Length != numeric[i].Length)
            {
                throw new ArgumentException($"input {i}: analytic has {analytic[i].Length} elements, numeric {numeric[i].Length}");
            }
            for (var j = 0; j < analytic[i].Length; j++)
            {
                double a = analytic[i][j], n = numeric[i][j];
                var tol = atol + rtol * Math.Abs(n);
                var diff = Math.Abs(a - n);
                var excess = double.IsNaN(diff) ? double.PositiveInfinity : diff - tol;
                if (excess > 0 && (worst is null || excess > worstExcess))
                {
                    worst = new GradMismatch(op, i, j, a, n, tol);
                    worstExcess = excess;
                }
            }
        }
        return worst;
    }

    private static (double[][] Grads, double Loss, Tensor Weight) AnalyticGradients(
        string op, GradFunction f, IReadOnlyList<double[]> data, IReadOnlyList<long[]> shapes, Generator weightGenerator)
    {
        var leaves = new Tensor[data.Count];
        for (var i = 0; i < leaves.Length; i++)
        {
            leaves[i] = Tensor.From<double>(data[i], shapes[i]).RequiresGrad_();
            Assert.True(leaves[i].IsLeaf, $"{op}: input {i} is not a leaf");
        }
        var y = f(leaves);
        Assert.True(y.DType == DType.Float64, $"{op}: f returned {y.DType}, the check needs a float64 result");
        var weight = Tensor.Randn(y.Shape, weightGenerator, DType.Float64);
        var l = (y * weight).Sum();
        var loss = l.ToDouble();
        // A result that does not require grad (every path was cut) has an all-zero analytic gradient.
        if (l.RequiresGrad) l.Backward();

        var grads = new double[leaves.Length][];
        for (var i = 0; i < leaves.Length; i++)
        {
            var g = leaves[i].Grad;
            if (g is null)
            {
                grads[i] = new double[data[i].Length];
                continue;
            }
            Assert.True(g.DType == DType.Float64, $"{op}: input {i} got a {g.DType} gradient");
            Assert.Equal(shapes[i], g.Shape);
            grads[i] = g.ToArray<double>();
        }
        return (grads, loss, weight);
    }

    private static double[][] NumericGradients(GradFunction f, IReadOnlyList<double[]> data, IReadOnlyList<long[]> shapes,
                                               Tensor weight, double eps)
    {
        using var noGrad = TorchAutograd.NoGrad();
        var work = new double[data.Count][];
        for (var i = 0; i < work.Length; i++) work[i] = (double[])data[i].Clone();
        var grads = new double[data.Count][];
        for (var i = 0; i < work.Length; i++)
        {
            grads[i] = new double[work[i].Length];
            for (var j = 0; j < work[i].Length; j++)
            {
                var saved = work[i][j];
                work[i][j] = saved + eps;
                var plus = Loss(f, work, shapes, weight);
                work[i][j] = saved - eps;
                var minus = Loss(f, work, shapes, weight);
                work[i][j] = saved;
                grads[i][j] = (plus - minus) / (2 * eps);
            }
        }
        return grads;
    }

    /// <summary>L = Σ f(x)·w on fresh, plain tensors (no autograd), every temporary freed.</summary>
    private static double Loss(GradFunction f, double[][] values, IReadOnlyList<long[]> shapes, Tensor weight)
    {
        using var scope = new DisposeScope();
        var inputs = new Tensor[values.Length];
        for (var i = 0; i < inputs.Length; i++) inputs[i] = Tensor.From<double>(values[i], shapes[i]);
        using var y = f(inputs);
        using var l = (y * weight).Sum();
        return l.ToDouble();
    }

    private static long Product(long[] shape)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        return n;
    }
}
