using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Llama;

/// <summary>
/// One pre-norm Llama block (HF <c>LlamaDecoderLayer</c>): x ← x + self_attn(input_layernorm(x));
/// x ← x + mlp(post_attention_layernorm(x)), both norms <see cref="LlamaRmsNorm"/>.
/// </summary>
public sealed class LlamaDecoderLayer : Module
{
    /// <summary>Creates the block.</summary>
    public LlamaDecoderLayer(LlamaConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        RegisterModule("input_layernorm", new LlamaRmsNorm(config.HiddenSize, config.RmsNormEps));
        Attention = RegisterModule("self_attn", new LlamaAttention(config, generator));
        RegisterModule("post_attention_layernorm", new LlamaRmsNorm(config.HiddenSize, config.RmsNormEps));
        RegisterModule("mlp", new LlamaMlp(config, generator));
    }

    /// <summary>The attention (child <c>self_attn</c>).</summary>
    public LlamaAttention Attention { get; }

    /// <summary>Applies the block to <paramref name="x"/> [N, T, d]; the other inputs as in <see cref="LlamaAttention.Forward"/>.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var h1 = CallChild("input_layernorm", x);
        using var a = Attention.Forward(h1, cos, sin, mask);
        using var x1 = x.Add(a);
        using var h2 = CallChild("post_attention_layernorm", x1);
        using var m = CallChild("mlp", h2);
        return x1.Add(m);
    }
}
