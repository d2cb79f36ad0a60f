using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>
/// The attention sub-layer of a BERT/RoBERTa block (HF <c>BertAttention</c>, child <c>attention</c>): the
/// bidirectional self-attention <c>self</c>, then <c>output</c>, the post-norm residual
/// h' = LayerNorm(h + dropout(dense(a))) (Devlin et al. 2019 after Vaswani et al. 2017).
/// </summary>
public sealed class BertAttention : Module
{
    /// <summary>Creates <c>self</c> and <c>output</c>.</summary>
    public BertAttention(BertConfig config, Generator generator)
    {
        Self = RegisterModule("self", new BertSelfAttention(config, generator));
        Output = RegisterModule("output", new BertOutput(config.HiddenSize, config, generator));
    }

    /// <summary>The attention proper (child <c>self</c>).</summary>
    public BertSelfAttention Self { get; }

    /// <summary>The projection and residual LayerNorm (child <c>output</c>).</summary>
    public BertOutput Output { get; }

    /// <summary>h' for <paramref name="h"/> [N, T, d]; <paramref name="mask"/> bool [N, 1, 1, T] (true: a real key) or null.</summary>
    public Tensor Forward(Tensor h, Tensor? mask)
    {
        using var a = Self.Forward(h, mask);
        return Output.Forward(a, h);
    }
}

/// <summary>
/// Multi-head self-attention without a causal mask (HF <c>BertSelfAttention</c>, child <c>attention.self</c>):
/// q = h·W_qᵀ + b_q, k, v likewise (children <c>query</c>, <c>key</c>, <c>value</c>, each d → d); per head
/// a = dropout(softmax(q·kᵀ/√(d/H) + M))·v with M = −∞ at padded keys; heads concatenated back to [N, T, d].
/// </summary>
public sealed class BertSelfAttention : Module
{
    private readonly long _heads;
    private readonly double _dropout;

    /// <summary>Creates the three projections.</summary>
    public BertSelfAttention(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        _heads = config.NumAttentionHeads;
        _dropout = config.AttentionProbsDropoutProb;
        var d = config.HiddenSize;
        RegisterModule("query", new Linear(d, d, generator: generator));
        RegisterModule("key", new Linear(d, d, generator: generator));
        RegisterModule("value", new Linear(d, d, generator: generator));
    }

    /// <summary>The attention output [N, T, d] (before <c>attention.output.dense</c>).</summary>
    public Tensor Forward(Tensor h, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(h);
        var (n, t, d) = (h.Size(0), h.Size(1), h.Size(2));
        var hd = d / _heads;
        using var q = Heads("query", h, n, t, hd);
        using var k = Heads("key", h, n, t, hd);
        using var v = Heads("value", h, n, t, hd);
        using var a = Functional.ScaledDotProductAttention(q, k, v, mask, IsTraining ? _dropout : 0, isCausal: false, scale: 1 / Math.Sqrt(hd));
        using var merged = a.Transpose(1, 2);
        return merged.Reshape(n, t, d);
    }

    private Tensor Heads(string child, Tensor h, long n, long t, long hd)
    {
        using var x = CallChild(child, h);
        using var view = x.View(n, t, _heads, hd);
        return view.Transpose(1, 2);
    }
}
