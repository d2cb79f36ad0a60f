using LowRankTrainer.Losses;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// Top-1 retrieval over paired embeddings, the text-pair evaluation of the embedding losses (sentence-transformers'
/// <c>InformationRetrievalEvaluator</c> accuracy@1 with one relevant document per query): anchor i is a hit when,
/// among all positives p_1 … p_M, the most cosine-similar one is its own, argmax_j cos(a_i, p_j) = i.
/// </summary>
/// <remarks>
/// Ties go to the lowest index j (libtorch's argmax), so a tie between p_i and an earlier positive is a miss.
/// The [M, M] similarity matrix is built in blocks of <see cref="BlockRows"/> anchors, so memory stays
/// O(<see cref="BlockRows"/> · M) however many pairs are evaluated.
/// </remarks>
public static class PairRetrieval
{
    /// <summary>Anchors per block of the similarity matrix.</summary>
    public const int BlockRows = 1024;

    /// <summary>How many anchors retrieve their own positive first, for anchors and positives [M, d] (row i of each a pair).</summary>
    /// <exception cref="ArgumentException">The shapes differ or are not [M, d].</exception>
    public static long Hits(Tensor anchors, Tensor positives)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(positives);
        if (anchors.Rank != 2 || !anchors.Shape.SequenceEqual(positives.Shape))
        {
            throw new ArgumentException($"anchors and positives must both be [M, d], got [{string.Join(", ", anchors.Shape)}] and [{string.Join(", ", positives.Shape)}]");
        }
        using var scope = new DisposeScope();
        var m = anchors.Size(0);
        var a = EmbeddingOps.L2Normalize(anchors);
        var pT = EmbeddingOps.L2Normalize(positives).MT;
        long hits = 0;
        for (long start = 0; start < m; start += BlockRows)
        {
            var length = Math.Min(BlockRows, m - start);
            var best = a.Narrow(0, start, length).MatMul(pT).ArgMax(1);
            var own = Tensor.Arange(start, start + length, 1L, DType.Int64, anchors.Device);
            hits += best.Eq(own).Sum().ToInt64();
        }
        return hits;
    }

    /// <summary>The top-1 accuracy, <see cref="Hits"/> / M (0 for no pairs).</summary>
    public static double Accuracy(Tensor anchors, Tensor positives)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        var m = anchors.Size(0);
        var hits = Hits(anchors, positives);
        return m > 0 ? (double)hits / m : 0;
    }
}
