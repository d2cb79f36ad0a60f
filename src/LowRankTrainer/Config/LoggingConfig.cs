namespace LowRankTrainer.Config;

/// <summary>The <c>logging</c> section.</summary>
public sealed record LoggingConfig
{
    /// <summary>Log training metrics every this many optimizer steps.</summary>
    public int LoggingSteps { get; init; } = 50;

    /// <summary>Also log the very first step.</summary>
    public bool LoggingFirstStep { get; init; }

    /// <summary>
    /// Where logged metrics go besides <c>metrics.jsonl</c>/<c>metrics.csv</c>, HF TrainingArguments' <c>report_to</c>:
    /// <c>[]</c> or <c>[none]</c> (the default: nowhere else), <c>[tensorboard]</c> (event files in
    /// <c>&lt;run folder&gt;/tensorboard/</c>, tagged as HF's TensorBoardCallback tags them).
    /// </summary>
    public IReadOnlyList<string> ReportTo { get; init; } = [];

    // Records compare list members by reference; a loaded [tensorboard] must equal another one.
    /// <inheritdoc/>
    public bool Equals(LoggingConfig? other) =>
        other is not null && LoggingSteps == other.LoggingSteps && LoggingFirstStep == other.LoggingFirstStep && ReportTo.SequenceEqual(other.ReportTo);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(LoggingSteps, LoggingFirstStep, ReportTo.Count);
}
