using LowRankTrainer.Torch;

namespace LowRankTrainer.Losses;

/// <summary>The embedding operations the Matryoshka losses share.</summary>
public static class EmbeddingOps
{
    /// <summary>PyTorch's <c>F.normalize(x, p=2, dim=-1)</c>: x / max(‖x‖₂, ε) row-wise, ε = 1e-12.</summary>
    public static Tensor L2Normalize(Tensor x, double eps = 1e-12)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x / x.Norm(2, [-1], keepDim: true).Clamp(min: eps);
    }

    /// <summary>
    /// sentence-transformers' <c>shrink</c>: the first <paramref name="dim"/> coordinates (a prefix, never a
    /// suffix or a sample), then L2-normalised.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dim"/> is not in [1, d].</exception>
    public static Tensor Shrink(Tensor embeddings, int dim)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        var d = embeddings.Size(-1);
        if (dim < 1 || dim > d) throw new ArgumentException($"Matryoshka dim {dim} is outside [1, {d}] (the embedding has {d} dims)", nameof(dim));
        return L2Normalize(embeddings.Narrow(-1, 0, dim));
    }

    /// <summary>
    /// PyTorch's <c>F.kl_div(log_softmax(q/T), softmax(p/T), reduction="batchmean")</c> =
    /// (1/N) Σ_i Σ_k P_ik (log P_ik − log Q_ik) with P = softmax(p/T) (the target, here the full model's
    /// embeddings) and Q = softmax(q/T) (the sub-network's), rows of [N, d].
    /// </summary>
    public static Tensor KlDivBatchMean(Tensor input, Tensor target, double temperature)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        var logQ = (input / temperature).LogSoftmax(-1);
        var logP = (target / temperature).LogSoftmax(-1);
        return (logP.Exp() * (logP - logQ)).Sum() / input.Size(0);
    }
}
