using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// A model seen as an embedder with one embedding per layer — the view that 2D Matryoshka (Li et al. 2024,
/// arXiv 2402.14776) and Starbucks (Zhuang et al. 2024, arXiv 2410.13230) train: a batch of inputs goes in, and
/// an embedding [N, d_ℓ] comes out for every layer ℓ = 1 … L, the final layer last. The embedding losses
/// (<c>loss.type</c> mnrl, matryoshka, matryoshka_2d, starbucks) need nothing else from the model.
/// </summary>
/// <remarks>
/// <see cref="MlpLayerEmbedder"/>: an MLP's hidden activations (images). <see cref="Transformers.TransformerLayerEmbedder"/>:
/// a transformer's hidden states, mean-pooled over the real tokens of each text.
/// </remarks>
public interface ILayerEmbedder
{
    /// <summary>The underlying module (its training/evaluation mode and parameters).</summary>
    Module Model { get; }

    /// <summary>d_ℓ, the width of each layer's embedding, first layer first.</summary>
    IReadOnlyList<int> LayerWidths { get; }

    /// <summary>
    /// Dotted names of the modules no embedding depends on (a classification head, BERT's pooler): an embedding
    /// loss freezes them and keeps them out of the optimizer.
    /// </summary>
    IReadOnlyList<string> UnusedModules { get; }

    /// <summary>The per-layer embeddings [N, d_ℓ] of a batch of <paramref name="inputs"/> [N, …], the final layer last.</summary>
    IReadOnlyList<Tensor> EmbedLayers(Tensor inputs);
}
