using LowRankTrainer.Losses;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// A transformer as a sentence embedder per layer (sentence-transformers' <c>Transformer</c> + <c>Pooling(mean)</c>
/// modules, Reimers and Gurevych 2019, applied to every layer as 2D Matryoshka's <c>AdaptiveLayerLoss</c> does):
/// for token ids [N, T], layer ℓ's embedding is the mean of that layer's hidden states over the row's real tokens
/// (ids ≠ <see cref="TransformerModel.PadTokenId"/>; every token when the model has no pad id),
/// e_ℓ = <see cref="EmbeddingOps.MeanPool"/>(h_ℓ, mask) for ℓ = 1 … L (<see cref="TransformerModel.HiddenLayers"/>).
/// </summary>
/// <param name="model">The transformer (any family; the task's head is unused).</param>
public sealed class TransformerLayerEmbedder(TransformerModel model) : ILayerEmbedder
{
    private readonly TransformerModel _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc/>
    public Module Model => _model;

    /// <summary>d, L times.</summary>
    public IReadOnlyList<int> LayerWidths { get; } = [.. Enumerable.Repeat(checked((int)model.HiddenSize), model.LayerCount)];

    /// <inheritdoc/>
    public IReadOnlyList<string> UnusedModules => _model.EmbeddingUnusedModules;

    /// <summary>The mean-pooled hidden states of every layer, each [N, d], for ids [N, T].</summary>
    public IReadOnlyList<Tensor> EmbedLayers(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Rank != 2) throw new ArgumentException($"token ids must be [N, T], got [{string.Join(", ", inputs.Shape)}]", nameof(inputs));
        var layers = _model.HiddenLayers(inputs);
        using var mask = _model.PadTokenId is { } pad ? inputs.Ne(pad) : null;
        return [.. layers.Select(h => EmbeddingOps.MeanPool(h, mask))];
    }
}
