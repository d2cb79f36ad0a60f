using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Losses;

/// <summary>
/// In-batch contrastive loss (sentence-transformers <c>MultipleNegativesRankingLoss</c>; InfoNCE with
/// in-batch negatives, Henderson et al. 2017, van den Oord et al. 2018): with s_ij = scale · cos(a_i, p_j),
/// L = (1/N) Σ_i −log( exp(s_ii) / Σ_j exp(s_ij) ), i.e. cross-entropy of the similarity rows against the
/// diagonal. Every other positive in the batch is a negative for anchor i.
/// </summary>
/// <param name="scale">The inverse temperature (sentence-transformers' default 20).</param>
public sealed class MultipleNegativesRankingLoss(double scale = 20.0) : IEmbeddingLoss
{
    /// <summary>The similarity scale.</summary>
    public double Scale { get; } = scale > 0 && double.IsFinite(scale) ? scale : throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be a positive number");

    /// <inheritdoc/>
    public Tensor Compute(Tensor anchors, Tensor positives)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(positives);
        if (anchors.Rank != 2 || positives.Rank != 2 || anchors.Size(0) != positives.Size(0) || anchors.Size(1) != positives.Size(1))
        {
            throw new ArgumentException($"anchors and positives must both be [N, d], got [{string.Join(", ", anchors.Shape)}] and [{string.Join(", ", positives.Shape)}]");
        }
        var scores = EmbeddingOps.L2Normalize(anchors).MatMul(EmbeddingOps.L2Normalize(positives).MT) * Scale;
        var labels = Tensor.Arange(0L, anchors.Size(0), 1L, DType.Int64, anchors.Device);
        return Functional.CrossEntropy(scores, labels);
    }
}
