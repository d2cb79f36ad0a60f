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
    /// sentence-transformers' mean pooling (<c>Pooling(pooling_mode="mean")</c>): per row, the average of the token
    /// states over the real tokens, e_n = Σ_t m_nt · h_nt / max(Σ_t m_nt, 1e-9), for hidden states [N, T, d] and a
    /// mask [N, T] (true or 1: a real token; null: every token is real); [N, d]. Padding contributes nothing, so a
    /// text's embedding does not depend on how far its row was padded.
    /// </summary>
    public static Tensor MeanPool(Tensor hidden, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Rank != 3) throw new ArgumentException($"hidden states must be [N, T, d], got [{string.Join(", ", hidden.Shape)}]", nameof(hidden));
        if (mask is null) return hidden.Mean(1);
        if (mask.Rank != 2 || mask.Size(0) != hidden.Size(0) || mask.Size(1) != hidden.Size(1))
        {
            throw new ArgumentException($"the mask must be [N, T] = [{hidden.Size(0)}, {hidden.Size(1)}], got [{string.Join(", ", mask.Shape)}]", nameof(mask));
        }
        using var m = mask.To(hidden.DType);
        using var weights = m.Unsqueeze(-1);
        using var masked = hidden * weights;
        using var sum = masked.Sum(1);
        using var count = m.Sum(1, keepDim: true);
        using var clamped = count.Clamp(min: 1e-9);
        return sum / clamped;
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
