using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Gradients;

/// <summary>
/// How one float64 input is drawn: standard normal samples of <see cref="Shape"/> from the case's
/// seeded generator, then mapped elementwise and/or transformed as a whole — or fixed values.
/// </summary>
public sealed record InputSpec(long[] Shape)
{
    /// <summary>Applied to each sample (e.g. to move it into an op's domain).</summary>
    public Func<double, double>? Map { get; init; }

    /// <summary>Applied to the whole (mapped) array, row-major (e.g. to add a multiple of the identity).</summary>
    public Func<double[], double[]>? Transform { get; init; }

    /// <summary>Fixed values (row-major) used instead of samples.</summary>
    public IReadOnlyList<double>? Values { get; init; }

    public double[] Draw(Generator generator)
    {
        if (Values is not null) return [.. Values];
        using var scope = new DisposeScope();
        var x = Tensor.Randn(Shape, generator, DType.Float64).ToArray<double>();
        if (Map is not null)
        {
            for (var i = 0; i < x.Length; i++) x[i] = Map(x[i]);
        }
        return Transform is null ? x : Transform(x);
    }
}

/// <summary>One row of the gradient-check matrix: a function and how to draw its float64 inputs.</summary>
public sealed record GradCase(GradFunction Function, IReadOnlyList<InputSpec> Inputs)
{
    /// <summary>Seed of the generator the inputs are drawn from.</summary>
    public ulong Seed { get; init; } = 20_240_611;

    /// <summary>Non-default tolerances (documented at the case).</summary>
    public GradCheckOptions? Options { get; init; }

    /// <summary>
    /// Inputs whose gradient is zero by construction (piecewise-constant ops, overwritten tensors).
    /// Every other input must get a nonzero numeric gradient somewhere, so that no case passes
    /// vacuously (0 = 0) because the function ignored an input.
    /// </summary>
    public IReadOnlyList<int> ZeroInputs { get; init; } = [];

    /// <summary>Draws the inputs and runs <see cref="GradCheck.Check"/>.</summary>
    public GradCheckReport Check(string op)
    {
        using var generator = new Generator(Seed);
        var data = Inputs.Select(s => s.Draw(generator)).ToArray();
        var shapes = Inputs.Select(s => s.Shape).ToArray();
        var report = GradCheck.Check(op, Function, data, shapes, Options);
        var atol = (Options ?? GradCheckOptions.Default).Atol;
        for (var i = 0; i < Inputs.Count; i++)
        {
            var largest = report.Numeric[i].Max(Math.Abs);
            if (ZeroInputs.Contains(i))
            {
                Assert.True(largest <= atol, $"{op}: input {i} should have a zero gradient, numeric reaches {largest}");
            }
            else
            {
                Assert.True(largest > 1e-3, $"{op}: input {i} has a (numerically) zero gradient: the check would be vacuous");
            }
        }
        return report;
    }

    // The description is the theory's first argument; this keeps the display name readable.
    public override string ToString() => $"{Inputs.Count} input(s): " + string.Join(", ", Inputs.Select(i => $"[{string.Join(",", i.Shape)}]"));
}

/// <summary>Shorthands for building the case matrix.</summary>
public static class G
{
    public static GradCase Case(GradFunction f, params InputSpec[] inputs) => new(f, inputs);

    /// <summary>Standard normal samples.</summary>
    public static InputSpec R(params long[] shape) => new(shape);

    /// <summary>Samples moved to [0.5, ∞): 0.5 + |x| (log, sqrt, pow bases, ...).</summary>
    public static InputSpec Pos(params long[] shape) => new(shape) { Map = v => 0.5 + Math.Abs(v) };

    /// <summary>Samples pushed at least 0.3 away from 0 (abs, relu, reciprocal, p=1 norms, ...).</summary>
    public static InputSpec Away(params long[] shape) => new(shape) { Map = v => v + (v < 0 ? -0.3 : 0.3) };

    /// <summary>Samples scaled by <paramref name="scale"/>.</summary>
    public static InputSpec Scaled(double scale, params long[] shape) => new(shape) { Map = v => v * scale };

    /// <summary>Fixed values.</summary>
    public static InputSpec V(double[] values, params long[] shape) => new(shape) { Values = values };

    /// <summary>
    /// Square matrices (optionally batched) 0.3·N(0,1) + <paramref name="diagonal"/>·I: well conditioned
    /// (solve, inverse), with distinct singular values.
    /// </summary>
    public static InputSpec WellConditioned(double diagonal, params long[] shape) => new(shape)
    {
        Map = v => 0.3 * v,
        Transform = x =>
        {
            var n = (int)shape[^1];
            for (var b = 0; b < x.Length; b += n * n)
            {
                for (var i = 0; i < n; i++) x[b + i * n + i] += diagonal;
            }
            return x;
        },
    };

    public static Tensor Longs(long[] values, params long[] shape) => Tensor.From<long>(values, shape);

    public static Tensor Bools(bool[] values, params long[] shape) => Tensor.From<bool>(values, shape);
}
