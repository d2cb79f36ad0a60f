using LowRankTrainer.Torch;

namespace LowRankTrainer.Losses;

/// <summary>
/// A loss over paired embeddings — anchors [N, d] and their positives [N, d], row i of each forming a
/// pair — that <see cref="MatryoshkaLoss"/>, <see cref="Matryoshka2dLoss"/> and <see cref="StarbucksLoss"/>
/// wrap (sentence-transformers' base-loss role, e.g. <see cref="MultipleNegativesRankingLoss"/>).
/// </summary>
public interface IEmbeddingLoss
{
    /// <summary>The scalar loss of the batch.</summary>
    Tensor Compute(Tensor anchors, Tensor positives);
}
