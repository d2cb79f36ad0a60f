using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Llama;

/// <summary>
/// Llama's causal self-attention with grouped keys and values (HF <c>LlamaAttention</c>; GQA, Ainslie et al. 2023):
/// q = x·W_qᵀ split into H heads, k = x·W_kᵀ and v = x·W_vᵀ into G ≤ H heads (children <c>q_proj</c>, <c>k_proj</c>,
/// <c>v_proj</c>), RoPE on q and k (<see cref="LlamaRotaryEmbedding"/>), each key/value head repeated H/G times
/// (<c>repeat_kv</c>), per head softmax(q·kᵀ/√D + mask)·v, heads concatenated, then <c>o_proj</c> (H·D → d).
/// </summary>
/// <remarks>
/// G = H is multi-head attention; G = 1 is multi-query attention (Shazeer 2019). Every projection is reached through
/// <see cref="Module.CallChild"/> so adapters that replace <c>q_proj</c>/<c>v_proj</c> are the ones that run.
/// </remarks>
public sealed class LlamaAttention : Module
{
    private readonly long _heads;
    private readonly long _kvHeads;
    private readonly long _headDim;
    private readonly double _dropout;

    /// <summary>Creates the four projections (biases when <c>attention_bias</c>).</summary>
    public LlamaAttention(LlamaConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _kvHeads = config.KeyValueHeads;
        _headDim = config.HeadSize;
        _dropout = config.AttentionDropout;
        var bias = config.AttentionBias;
        RegisterModule("q_proj", new Linear(d, _heads * _headDim, bias, generator));
        RegisterModule("k_proj", new Linear(d, _kvHeads * _headDim, bias, generator));
        RegisterModule("v_proj", new Linear(d, _kvHeads * _headDim, bias, generator));
        RegisterModule("o_proj", new Linear(_heads * _headDim, d, bias, generator));
    }

    /// <summary>
    /// Attends over <paramref name="x"/> [N, T, d] with RoPE tables <paramref name="cos"/>, <paramref name="sin"/> [T, D];
    /// <paramref name="mask"/> bool [N, 1, T, T] (true: may attend), or null for plain causal attention.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (n, t) = (x.Size(0), x.Size(1));
        using var q = Heads("q_proj", x, _heads);
        using var k = Heads("k_proj", x, _kvHeads);
        using var v = Heads("v_proj", x, _kvHeads);
        using var qr = LlamaRotaryEmbedding.Apply(q, cos, sin);
        using var kr = LlamaRotaryEmbedding.Apply(k, cos, sin);
        // Grouped-query attention: the shared key/value heads go in unrepeated (no r-fold copies saved for backward
        // where libtorch's kernels take them as they are).
        using var a = Functional.ScaledDotProductAttention(qr, kr, v, mask, IsTraining ? _dropout : 0, isCausal: mask is null,
            scale: 1 / Math.Sqrt(_headDim), enableGqa: true);
        using var transposed = a.Transpose(1, 2);
        using var merged = transposed.Reshape(n, t, _heads * _headDim);
        return CallChild("o_proj", merged);
    }

    private Tensor Heads(string child, Tensor x, long heads)
    {
        using var projected = CallChild(child, x);
        using var split = projected.Reshape(x.Size(0), x.Size(1), heads, _headDim);
        return split.Transpose(1, 2);
    }
}
