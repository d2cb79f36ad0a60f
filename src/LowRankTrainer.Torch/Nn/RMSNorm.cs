namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// Root-mean-square normalisation (Zhang &amp; Sennrich 2019, "Root Mean Square Layer Normalization";
/// PyTorch 2.4's nn.RMSNorm, Llama's norm) over the trailing dims <c>normalizedShape</c>:
/// y = x/√(mean(x²) + ε)·γ, <c>weight</c> γ = 1 initially. No centring and no bias: cheaper than
/// LayerNorm with the same quality in transformers. A null ε is the machine epsilon of the input's
/// dtype, PyTorch's default (Llama checkpoints use 1e-5 or 1e-6).
/// </summary>
public sealed class RMSNorm : Module<Tensor, Tensor>
{
    private readonly long[] _normalizedShape;

    /// <summary>Normalises over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public RMSNorm(long normalizedShape, double? eps = null, bool elementwiseAffine = true,
                   DType dtype = DType.Float32, Device device = default)
        : this([normalizedShape], eps, elementwiseAffine, dtype, device) { }

    /// <summary>Normalises over the trailing dims <paramref name="normalizedShape"/>.</summary>
    public RMSNorm(long[] normalizedShape, double? eps = null, bool elementwiseAffine = true,
                   DType dtype = DType.Float32, Device device = default)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        _normalizedShape = (long[])normalizedShape.Clone();
        Eps = eps;
        if (!elementwiseAffine) return;
        using var suspended = DisposeScope.Suspend();
        Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape, dtype, device));
    }

    /// <summary>The normalised trailing dims.</summary>
    public IReadOnlyList<long> NormalizedShape => _normalizedShape;

    /// <summary>ε, or null for the input dtype's machine epsilon.</summary>
    public double? Eps { get; }

    /// <summary>γ, or null without elementwise affine.</summary>
    public Parameter? Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.RmsNorm(input, _normalizedShape.Length, Weight?.Value, Eps);
}
