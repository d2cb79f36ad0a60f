namespace LowRankTrainer.Training;

/// <summary>One evaluation pass: the mean loss, the accuracy (classification) and, for MRL and the embedding losses, the accuracy at every nesting size.</summary>
/// <param name="Loss">Mean loss over counted targets (for MRL: of Σ_m c_m · CE_m; for the embedding losses: the loss on two augmented views per eval batch).</param>
/// <param name="Accuracy">Accuracy in [0, 1] (for MRL: at the largest nesting size; for the embedding losses: nearest-class-centroid accuracy of the full embedding); null for regression.</param>
/// <param name="AccuracyByDim">MRL: nesting size → accuracy of that size's head on the prefix; embedding losses: dim → nearest-centroid accuracy of the last hidden layer's prefix; ascending.</param>
/// <param name="AccuracyByLayerDim">Embedding losses: "layer:dim" (layer 1-based) → nearest-centroid accuracy of that hidden layer's prefix.</param>
public sealed record EvalResult(double Loss, double? Accuracy, IReadOnlyDictionary<string, double>? AccuracyByDim = null,
                                IReadOnlyDictionary<string, double>? AccuracyByLayerDim = null)
{
    /// <summary>Macro-F1 over the classes of a classification task (null for regression, MRL, language models and the embedding losses).</summary>
    public double? MacroF1 { get; init; }

    /// <summary>
    /// Task-specific metrics by name: for synthetic_linear <c>effective_rank</c> and <c>rank_floor</c>
    /// (<see cref="LinearMapMetrics"/>); null for every other task.
    /// </summary>
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }

    /// <summary>The evaluation a logged eval event records (the inverse of how the trainer logs one).</summary>
    public static EvalResult FromEntry(MetricsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new EvalResult(entry.EvalLoss ?? double.NaN, entry.EvalAccuracy, entry.EvalAccuracyByDim, entry.EvalAccuracyByLayerDim)
        {
            MacroF1 = entry.EvalF1, Metrics = entry.EvalMetrics,
        };
    }
}
