using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Losses;

/// <summary>
/// The MRL objective (Kusupati et al. 2022, RAIVNLab/MRL <c>Matryoshka_CE_Loss</c>):
/// L = Σ_{m∈M} c_m · CE(logits_m, y), a <b>sum</b> over sizes (not a mean) of per-size cross-entropies, each
/// the mean over the batch with label smoothing ε; c_m = 1 unless relative importances are given.
/// </summary>
/// <remarks>The logits come stacked as [N, |M|, C] from <see cref="MrlLinear"/>, ascending m; the
/// weights are in the same order.</remarks>
public sealed class MatryoshkaCrossEntropy
{
    private readonly double[] _weights;
    private readonly double _labelSmoothing;
    private readonly long _ignoreIndex;

    /// <summary>Creates the loss.</summary>
    /// <param name="weights">c_m per size, ascending size order (each ≥ 0).</param>
    /// <param name="labelSmoothing">ε in [0, 1) (the MRL recipe uses 0.1).</param>
    /// <param name="ignoreIndex">Targets excluded from every CE term.</param>
    public MatryoshkaCrossEntropy(IReadOnlyList<double> weights, double labelSmoothing = 0, long ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count == 0) throw new ArgumentException("at least one weight is needed", nameof(weights));
        if (weights.Any(w => !(w >= 0) || double.IsInfinity(w))) throw new ArgumentException($"MRL weights must be finite and >= 0, got [{string.Join(", ", weights)}]", nameof(weights));
        if (labelSmoothing is < 0 or >= 1) throw new ArgumentException($"label smoothing must be in [0, 1), got {labelSmoothing}", nameof(labelSmoothing));
        _weights = [.. weights];
        _labelSmoothing = labelSmoothing;
        _ignoreIndex = ignoreIndex;
    }

    /// <summary>c_m, ascending size order.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>
    /// Σ_m c_m · CE(logits[:, m, :], y) with the given per-size reduction (mean: per-size batch means; sum:
    /// per-size batch sums, for evaluation totals).
    /// </summary>
    public Tensor Compute(Tensor stackedLogits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(stackedLogits);
        ArgumentNullException.ThrowIfNull(target);
        if (stackedLogits.Rank != 3 || stackedLogits.Size(1) != _weights.Length)
        {
            throw new ArgumentException($"MRL logits must be [N, {_weights.Length}, C] (one row per nesting size), got [{string.Join(", ", stackedLogits.Shape)}]", nameof(stackedLogits));
        }
        Tensor? total = null;
        for (var i = 0; i < _weights.Length; i++)
        {
            var term = PerSize(stackedLogits, target, i, reduction) * _weights[i];
            total = total is null ? term : total + term;
        }
        return total!;
    }

    /// <summary>CE(logits[:, i, :], y) for the i-th size alone (unweighted).</summary>
    public Tensor PerSize(Tensor stackedLogits, Tensor target, int index, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(stackedLogits);
        // The view goes at once: left to the caller's scope it would keep the logits' storage alive through backward.
        using var logits = stackedLogits.Select(1, index);
        return Functional.CrossEntropy(logits, target, ignoreIndex: _ignoreIndex, labelSmoothing: _labelSmoothing, reduction: reduction);
    }
}
