using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>
/// The encoder body (HF <c>BertModel</c>/<c>RobertaModel</c>, the child <c>bert</c> or <c>roberta</c>):
/// h₀ = <c>embeddings</c>(ids), hₗ = <c>encoder.layer.{l}</c>(hₗ₋₁) for l = 1 … L, and, with a pooler,
/// pooled = tanh(<c>pooler.dense</c>(h_L[:, 0])) (Devlin et al. 2019, §3: the [CLS] representation).
/// </summary>
public sealed class BertBody : Module
{
    /// <summary>Creates the body; <paramref name="addPoolingLayer"/> is HF's <c>add_pooling_layer</c>.</summary>
    public BertBody(BertConfig config, BertPositionScheme positions, bool addPoolingLayer, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Embeddings = RegisterModule("embeddings", new BertEmbeddings(config, positions, generator));
        Encoder = RegisterModule("encoder", new BertEncoder(config, generator));
        if (addPoolingLayer) Pooler = RegisterModule("pooler", new BertPooler(config, generator));
    }

    /// <summary>The input embeddings (child <c>embeddings</c>).</summary>
    public BertEmbeddings Embeddings { get; }

    /// <summary>The blocks (child <c>encoder</c>).</summary>
    public BertEncoder Encoder { get; }

    /// <summary>The [CLS] pooler (child <c>pooler</c>), or null when built without one.</summary>
    public BertPooler? Pooler { get; }

    /// <summary>h_L [N, T, d] of <paramref name="ids"/> [N, T]; <paramref name="mask"/> bool [N, 1, 1, T] (true: a real key) or null.</summary>
    public Tensor Forward(Tensor ids, Tensor? mask)
    {
        var x = Embeddings.Forward(ids);
        foreach (var layer in Encoder.Layers.Items)
        {
            var next = layer.Forward(x, mask);
            x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>
    /// The output of every block, h₁ … h_L (each [N, T, d]; HF's <c>hidden_states[1:]</c>, the embedding output left
    /// out), for per-layer sentence embeddings; the arguments are those of <see cref="Forward"/>.
    /// </summary>
    public IReadOnlyList<Tensor> ForwardLayers(Tensor ids, Tensor? mask)
    {
        var layers = new List<Tensor>(Encoder.Layers.Items.Count);
        using var embedded = Embeddings.Forward(ids);
        var x = embedded;
        foreach (var layer in Encoder.Layers.Items)
        {
            x = layer.Forward(x, mask);
            layers.Add(x);
        }
        return layers;
    }
}

/// <summary>HF <c>BertEncoder</c> (child <c>encoder</c>): holds the blocks as <c>layer.0</c> … <c>layer.{L−1}</c>.</summary>
public sealed class BertEncoder : Module
{
    /// <summary>Creates <c>num_hidden_layers</c> blocks.</summary>
    public BertEncoder(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Layers = RegisterModule("layer", new ModuleList<BertLayer>());
        for (var i = 0; i < config.NumHiddenLayers; i++) Layers.Add(new BertLayer(config, generator));
    }

    /// <summary>The blocks (child <c>layer</c>).</summary>
    public ModuleList<BertLayer> Layers { get; }
}

/// <summary>HF <c>BertPooler</c> (child <c>pooler</c>): tanh(dense(h[:, 0])), dense: d → d. Input [N, T, d], output [N, d].</summary>
public sealed class BertPooler : Module<Tensor, Tensor>
{
    /// <summary>Creates <c>dense</c>.</summary>
    public BertPooler(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        RegisterModule("dense", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));
        RegisterModule("activation", new Tanh());
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var first = input.Select(1, 0);
        using var p = CallChild("dense", first);
        return CallChild("activation", p);
    }
}
