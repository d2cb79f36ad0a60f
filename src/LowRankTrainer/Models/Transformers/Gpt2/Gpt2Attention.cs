using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Gpt2;

/// <summary>
/// GPT-2's causal multi-head self-attention (HF <c>GPT2Attention</c>): [q k v] = x·W_attn + b_attn (child
/// <c>c_attn</c>, d → 3d), per head softmax(q·kᵀ·s + mask)·v with s = 1/√(d/H) (and 1/(layer+1) when
/// <c>scale_attn_by_inverse_layer_idx</c>), heads concatenated, then <c>c_proj</c> (d → d) and residual dropout.
/// </summary>
/// <remarks>
/// HF stores <c>c_attn</c>/<c>c_proj</c> as <c>Conv1D</c> with weight [in, out]; here they are Linear layers
/// (weight [out, in]) so that every adapter applies unchanged, and <see cref="Gpt2Model.IsTransposedInHf"/> makes the
/// checkpoint reader and writer transpose them. PEFT's <c>fan_in_fan_out=True</c> for GPT-2 exists only because
/// of that storage: the adapter tensors are the same either way.
/// </remarks>
public sealed class Gpt2Attention : Module
{
    private readonly long _heads;
    private readonly double _scale;
    private readonly double _attnDropout;

    /// <summary>Creates the layer for block <paramref name="layerIndex"/>.</summary>
    public Gpt2Attention(Gpt2Config config, int layerIndex, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = config.NEmbd;
        _heads = config.NHead;
        var scale = config.ScaleAttnWeights ? 1 / Math.Sqrt(d / (double)_heads) : 1.0;
        _scale = config.ScaleAttnByInverseLayerIdx ? scale / (layerIndex + 1) : scale;
        _attnDropout = config.AttnPdrop;
        RegisterModule("c_attn", new Linear(d, 3 * d, generator: generator));
        RegisterModule("c_proj", new Linear(d, d, generator: generator));
        RegisterModule("resid_dropout", new Dropout(config.ResidPdrop, generator));
    }

    /// <summary>Attends over <paramref name="x"/> [N, T, d]; <paramref name="mask"/> [N, 1, T, T] or null for plain causal.</summary>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (n, t, d) = (x.Size(0), x.Size(1), x.Size(2));
        var hd = d / _heads;
        using var qkv = CallChild("c_attn", x);
        var parts = qkv.Split(d, 2);
        try
        {
            using var q = Heads(parts[0], n, t, hd);
            using var k = Heads(parts[1], n, t, hd);
            using var v = Heads(parts[2], n, t, hd);
            using var a = Functional.ScaledDotProductAttention(q, k, v, mask, IsTraining ? _attnDropout : 0, isCausal: mask is null, scale: _scale);
            // Each intermediate gets its own handle and goes at the end of this call: a bare a.Transpose(1, 2) would stay
            // in the step's scope and keep the attention output's storage alive through backward, which PyTorch frees.
            using var tokenMajor = a.Transpose(1, 2);
            using var merged = tokenMajor.Reshape(n, t, d);
            using var projected = CallChild("c_proj", merged);
            return CallChild("resid_dropout", projected);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    private Tensor Heads(Tensor x, long n, long t, long hd)
    {
        using var view = x.View(n, t, _heads, hd);
        return view.Transpose(1, 2);
    }
}
