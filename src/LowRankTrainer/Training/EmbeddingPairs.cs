using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>Where the (anchor, positive) pairs of an embedding loss come from.</summary>
public enum EmbeddingPairs
{
    /// <summary>
    /// Images: each sample yields two seeded augmented views (<see cref="Data.TwoViews"/>), anchor and positive;
    /// an <see cref="Models.Mlp"/> embeds them.
    /// </summary>
    AugmentedViews,

    /// <summary>
    /// Text pairs: each sample is int64 token ids [2, T], row 0 the anchor text and row 1 its positive (two spans of
    /// one document, <see cref="Data.Text.TextPairDataset"/>); a transformer embeds them.
    /// </summary>
    TextPairs,
}

/// <summary>Helpers for <see cref="EmbeddingPairs.TextPairs"/> batches.</summary>
public static class TextPairBatch
{
    /// <summary>The anchors [N, T] and positives [N, T] of a batch of pairs [N, 2, T].</summary>
    /// <exception cref="ArgumentException">The batch is not [N, 2, T].</exception>
    public static (Tensor Anchors, Tensor Positives) Split(Tensor pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Rank != 3 || pairs.Size(1) != 2)
        {
            throw new ArgumentException($"a batch of text pairs must be token ids [N, 2, T] (anchor, positive), got [{string.Join(", ", pairs.Shape)}]", nameof(pairs));
        }
        return (pairs.Select(1, 0), pairs.Select(1, 1));
    }
}
