using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Llama;

/// <summary>
/// HF's <c>LlamaRMSNorm</c> (Zhang &amp; Sennrich 2019, "Root Mean Square Layer Normalization"):
/// y = w ⊙ cast(x̂), x̂ = x·rsqrt(mean(x²) + ε) over the last dim, with x̂ computed in float32 whatever the
/// input dtype and cast back to it before the product with <c>weight</c> w (ones initially). No centring, no bias.
/// </summary>
/// <remarks>
/// Written out instead of <see cref="RMSNorm"/> so that a bf16 model normalises exactly as HF's does
/// (upcast, normalise, downcast, then scale).
/// </remarks>
public sealed class LlamaRmsNorm : Module<Tensor, Tensor>
{
    private readonly double _eps;

    /// <summary>Creates the norm over a last dim of <paramref name="size"/>.</summary>
    public LlamaRmsNorm(long size, double eps)
    {
        _eps = eps;
        using var suspended = DisposeScope.Suspend();
        Weight = RegisterParameter("weight", Tensor.Ones([size], DType.Float32));
    }

    /// <summary>w, [size].</summary>
    public Parameter Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var dtype = input.DType;
        using var x = input.To(DType.Float32);
        using var squares = x.Square();
        using var variance = squares.Mean(-1, keepDim: true);
        using var shifted = variance.Add(_eps);
        using var inverse = shifted.Rsqrt();
        using var normalised = x.Mul(inverse);
        using var cast = normalised.To(dtype);
        return Weight.Value.Mul(cast);
    }
}
