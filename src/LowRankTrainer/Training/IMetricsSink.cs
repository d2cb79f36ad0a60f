namespace LowRankTrainer.Training;

/// <summary>
/// Somewhere besides <c>metrics.jsonl</c> that <see cref="MetricsLog"/> sends every logged event to, in order (HF
/// TrainingArguments' <c>report_to</c> integrations, e.g. TensorBoard). A sink writes each event through at once, so a
/// killed run leaves what was logged.
/// </summary>
public interface IMetricsSink : IDisposable
{
    /// <summary>Records one event (a train log, an evaluation, or a resumed run's replayed history).</summary>
    void Write(MetricsEntry entry);
}
