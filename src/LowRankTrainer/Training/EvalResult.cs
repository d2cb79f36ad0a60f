namespace LowRankTrainer.Training;

/// <summary>One evaluation pass: the mean loss, the accuracy (classification) and, for MRL, the accuracy at every nesting size.</summary>
/// <param name="Loss">Mean loss over counted targets (for MRL: of Σ_m c_m · CE_m).</param>
/// <param name="Accuracy">Accuracy in [0, 1] (for MRL: at the largest nesting size); null for regression.</param>
/// <param name="AccuracyByDim">MRL only: nesting size → accuracy of that size's head on the prefix, ascending.</param>
public sealed record EvalResult(double Loss, double? Accuracy, IReadOnlyDictionary<string, double>? AccuracyByDim = null);
