using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// An <see cref="Mlp"/> as a layer embedder: layer ℓ's embedding is the ℓ-th hidden block's output (after its
/// activation, <see cref="Mlp.ForwardLayers"/>); the last hidden layer is the embedding and the classification
/// head is never applied.
/// </summary>
/// <param name="model">The MLP.</param>
/// <param name="hiddenSizes">Its hidden widths (<c>model.hidden_sizes</c>).</param>
public sealed class MlpLayerEmbedder(Mlp model, IReadOnlyList<int> hiddenSizes) : ILayerEmbedder
{
    private readonly Mlp _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc/>
    public Module Model => _model;

    /// <inheritdoc/>
    public IReadOnlyList<int> LayerWidths { get; } = hiddenSizes ?? throw new ArgumentNullException(nameof(hiddenSizes));

    /// <summary>The head.</summary>
    public IReadOnlyList<string> UnusedModules => [_model.HeadName];

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> EmbedLayers(Tensor inputs) => _model.ForwardLayers(inputs);
}
