using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Llama;

/// <summary>
/// Llama's body (HF <c>LlamaModel</c>, the child <c>model</c>): h₀ = embed_tokens[ids] (no position embedding: RoPE
/// rotates q and k inside attention), the decoder layers (child <c>layers</c>), then <c>norm</c> (RMSNorm).
/// Positions count from 0 on every row (right padding keeps real tokens at their places).
/// </summary>
public sealed class LlamaBody : Module
{
    /// <summary>
    /// Creates the body with HF's initialisation (<c>LlamaPreTrainedModel._init_weights</c>): N(0, initializer_range)
    /// for the embedding and every projection weight, zero biases, unit RMSNorm weights, and a zero padding row
    /// (the embedding's <c>padding_idx</c> is <paramref name="padTokenId"/>, which receives no gradient; a pad id outside
    /// the vocabulary only masks attention).
    /// </summary>
    public LlamaBody(LlamaConfig config, Generator generator, long? padTokenId)
    {
        ArgumentNullException.ThrowIfNull(config);
        Rotary = new LlamaRotaryEmbedding(config.HeadSize, config.RopeTheta);
        var padding = padTokenId is { } p && p >= -config.VocabSize && p < config.VocabSize ? padTokenId : null;
        EmbedTokens = RegisterModule("embed_tokens", new Embedding(config.VocabSize, config.HiddenSize, padding, generator));
        Layers = RegisterModule("layers", new ModuleList<LlamaDecoderLayer>());
        for (var i = 0; i < config.NumHiddenLayers; i++) Layers.Add(new LlamaDecoderLayer(config, generator));
        RegisterModule("norm", new LlamaRmsNorm(config.HiddenSize, config.RmsNormEps));
        InitWeights(config, generator);
    }

    /// <summary>The token embedding (child <c>embed_tokens</c>).</summary>
    public Embedding EmbedTokens { get; }

    /// <summary>The decoder layers (child <c>layers</c>).</summary>
    public ModuleList<LlamaDecoderLayer> Layers { get; }

    /// <summary>The rotary embedding every layer shares (no state in the checkpoint).</summary>
    public LlamaRotaryEmbedding Rotary { get; }

    /// <summary>The final hidden states [N, T, d] of <paramref name="ids"/> [N, T]; <paramref name="mask"/> as in <see cref="LlamaAttention.Forward"/>.</summary>
    public Tensor Forward(Tensor ids, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var x = CallChild("embed_tokens", ids);
        var (cos, sin) = Rotary.CosSin(ids.Size(1), ids.Device, x.DType);
        using (cos)
        using (sin)
        {
            foreach (var layer in Layers.Items)
            {
                var next = layer.Forward(x, cos, sin, mask);
                x.Dispose();
                x = next;
            }
        }
        using (x) return CallChild("norm", x);
    }

    /// <summary>
    /// HF's <c>hidden_states[1:]</c> (each [N, T, d]): the output of layers 1 … L−1, then <c>norm</c> of layer L's
    /// output (the final hidden states), for per-layer sentence embeddings; the arguments are those of <see cref="Forward"/>.
    /// </summary>
    public IReadOnlyList<Tensor> ForwardLayers(Tensor ids, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var embedded = CallChild("embed_tokens", ids);
        var (cos, sin) = Rotary.CosSin(ids.Size(1), ids.Device, embedded.DType);
        var layers = new List<Tensor>(Layers.Items.Count);
        using (cos)
        using (sin)
        {
            var x = embedded;
            foreach (var layer in Layers.Items)
            {
                x = layer.Forward(x, cos, sin, mask);
                layers.Add(x);
            }
        }
        using var last = layers[^1];
        layers[^1] = CallChild("norm", last);
        return layers;
    }

    private void InitWeights(LlamaConfig config, Generator generator)
    {
        using var scope = DisposeScope.Suspend();
        using var noGrad = Autograd.NoGrad();
        foreach (var (name, p) in NamedParameters())
        {
            var v = p.Value;
            if (name.EndsWith(".bias", StringComparison.Ordinal)) v.Zero_();
            else if (name.EndsWith("norm.weight", StringComparison.Ordinal)) v.Fill_(1.0);
            else Init.Normal_(v, 0, config.InitializerRange, generator);
        }
        if (EmbedTokens.PaddingIdx is { } pad)
        {
            using var row = EmbedTokens.Weight.Value.Select(0, pad);
            row.Zero_();
        }
    }
}
