using LowRankTrainer.Torch;

namespace LowRankTrainer.Models.Transformers.Llama;

/// <summary>
/// Rotary position embedding (Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary Position Embedding") in HF's
/// <c>rotate_half</c> layout (<c>LlamaRotaryEmbedding</c>, <c>apply_rotary_pos_emb</c>): for head width D,
/// inv_freqᵢ = 1/θ^(2i/D) (i &lt; D/2), freqs = pos ⊗ inv_freq [T, D/2], emb = [freqs, freqs] [T, D],
/// and x' = x ⊙ cos(emb) + rotate_half(x) ⊙ sin(emb) with rotate_half([x₁, x₂]) = [−x₂, x₁] (halves of the last dim).
/// </summary>
/// <remarks>
/// Each pair (xᵢ, x_{i+D/2}) is rotated by the angle pos·inv_freqᵢ, so q'·k' depends on the positions only through
/// their difference. No table is stored (HF's <c>inv_freq</c> is a non-persistent buffer, absent from checkpoints):
/// cos and sin are computed in float32 for the positions of each forward, as HF does, then cast to the activations' dtype.
/// </remarks>
public sealed class LlamaRotaryEmbedding
{
    /// <summary>Creates the embedding for heads of width <paramref name="headDim"/> (even) and base <paramref name="theta"/>.</summary>
    public LlamaRotaryEmbedding(long headDim, double theta)
    {
        if (headDim < 2 || headDim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "RoPE needs an even head width");
        if (theta <= 0) throw new ArgumentOutOfRangeException(nameof(theta), theta, "the RoPE base must be positive");
        HeadDim = headDim;
        Theta = theta;
    }

    /// <summary>The head width D.</summary>
    public long HeadDim { get; }

    /// <summary>The base θ (HF's <c>rope_theta</c>).</summary>
    public double Theta { get; }

    /// <summary>cos(emb) and sin(emb) [T, D] for positions 0..T−1, in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) CosSin(long length, Device device, DType dtype)
    {
        using var positions = Tensor.Arange(0L, length, 1L, DType.Float32, device);
        return CosSin(positions, dtype);
    }

    /// <summary>cos(emb) and sin(emb) [T, D] for arbitrary <paramref name="positions"/> [T], in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) CosSin(Tensor positions, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(positions);
        using var steps = Tensor.Arange(0L, HeadDim, 2L, DType.Int64, positions.Device);
        using var stepsF = steps.To(DType.Float32);
        using var exponents = stepsF.Div(HeadDim);
        using var powers = Tensor.Pow(Theta, exponents);
        using var invFreq = powers.Reciprocal();
        using var pos = positions.To(DType.Float32);
        using var freqs = pos.Outer(invFreq);
        using var emb = Tensor.Cat([freqs, freqs], -1);
        using var cos = emb.Cos();
        using var sin = emb.Sin();
        return (cos.To(dtype), sin.To(dtype));
    }

    /// <summary>rotate_half(x) = [−x₂, x₁] for the two halves x₁, x₂ of the last dim.</summary>
    public static Tensor RotateHalf(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var half = x.Size(x.Rank - 1) / 2;
        using var x1 = x.Narrow(-1, 0, half);
        using var x2 = x.Narrow(-1, half, half);
        using var negated = x2.Neg();
        return Tensor.Cat([negated, x1], -1);
    }

    /// <summary>x ⊙ cos + rotate_half(x) ⊙ sin for <paramref name="x"/> [..., T, D] and tables [T, D].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var rotated = RotateHalf(x);
        using var a = x.Mul(cos);
        using var b = rotated.Mul(sin);
        return a.Add(b);
    }
}
