using LowRankTrainer.Torch;

namespace LowRankTrainer.Losses;

/// <summary>Checks shared by the layer-wise losses (<see cref="Matryoshka2dLoss"/>, <see cref="StarbucksLoss"/>).</summary>
internal static class LayerLosses
{
    /// <summary>
    /// Both lists hold the same number (≥ 1) of [N, d_ℓ] embeddings with matching shapes per layer; with
    /// <paramref name="sameWidth"/> (a KL term compares layers with the final one) every d_ℓ equals the final d.
    /// </summary>
    public static void CheckLayers(IReadOnlyList<Tensor> anchorLayers, IReadOnlyList<Tensor> positiveLayers, bool sameWidth)
    {
        if (anchorLayers.Count == 0 || anchorLayers.Count != positiveLayers.Count)
        {
            throw new ArgumentException($"one anchor and one positive embedding per layer are needed, got {anchorLayers.Count} and {positiveLayers.Count} layers");
        }
        var finalWidth = anchorLayers[^1].Size(-1);
        for (var l = 0; l < anchorLayers.Count; l++)
        {
            var a = anchorLayers[l];
            var p = positiveLayers[l];
            if (a.Rank != 2 || !a.Shape.SequenceEqual(p.Shape))
            {
                throw new ArgumentException($"layer {l}: anchors and positives must both be [N, d], got [{string.Join(", ", a.Shape)}] and [{string.Join(", ", p.Shape)}]");
            }
            if (sameWidth && a.Size(1) != finalWidth)
            {
                throw new ArgumentException($"layer {l} has {a.Size(1)} dims but the final layer {finalWidth}; the KL term needs equal widths (set the KL temperature to 0 otherwise)");
            }
        }
    }
}
