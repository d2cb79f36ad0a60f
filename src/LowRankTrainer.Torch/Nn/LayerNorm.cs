namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// Layer normalisation (Ba et al. 2016, "Layer Normalization"; PyTorch's nn.LayerNorm) over the trailing
/// dims <c>normalizedShape</c>: y = (x − E[x])/√(Var[x] + ε)·γ + β with the biased variance,
/// <c>weight</c> γ = 1 and <c>bias</c> β = 0 initially (both absent without elementwise affine).
/// </summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    private readonly long[] _normalizedShape;

    /// <summary>Normalises over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(long normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true,
                     DType dtype = DType.Float32, Device device = default)
        : this([normalizedShape], eps, elementwiseAffine, bias, dtype, device) { }

    /// <summary>Normalises over the trailing dims <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true,
                     DType dtype = DType.Float32, Device device = default)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        _normalizedShape = (long[])normalizedShape.Clone();
        Eps = eps;
        if (!elementwiseAffine) return;
        using var suspended = DisposeScope.Suspend();
        Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape, dtype, device));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(normalizedShape, dtype, device));
    }

    /// <summary>The normalised trailing dims.</summary>
    public IReadOnlyList<long> NormalizedShape => _normalizedShape;

    /// <summary>ε, added to the variance.</summary>
    public double Eps { get; }

    /// <summary>γ, or null without elementwise affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>β, or null without elementwise affine or bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, _normalizedShape, Weight?.Value, Bias?.Value, Eps);
}
