using LowRankTrainer.Config;
using LowRankTrainer.Runs.TensorBoard;
using LowRankTrainer.Training;

namespace LowRankTrainer.Runs;

/// <summary>The <see cref="IMetricsSink"/>s <c>logging.report_to</c> asks for (HF TrainingArguments' <c>report_to</c>).</summary>
public static class MetricsSinks
{
    /// <summary>The sink names <c>logging.report_to</c> accepts: <c>none</c> (no sink; also the empty list) and <c>tensorboard</c>.</summary>
    public static IReadOnlyList<string> Known { get; } = ["none", "tensorboard"];

    /// <summary>One sink per distinct name in <paramref name="logging"/>'s <c>report_to</c>, writing under <paramref name="runDirectory"/>.</summary>
    /// <exception cref="ArgumentException">A name is not one of <see cref="Known"/>.</exception>
    public static IReadOnlyList<IMetricsSink> Create(LoggingConfig logging, string runDirectory)
    {
        ArgumentNullException.ThrowIfNull(logging);
        var sinks = new List<IMetricsSink>();
        foreach (var name in logging.ReportTo.Distinct(StringComparer.Ordinal))
        {
            switch (name)
            {
                case "none":
                    break;
                case "tensorboard":
                    sinks.Add(new TensorBoardSink(runDirectory));
                    break;
                default:
                    foreach (var sink in sinks) sink.Dispose();
                    throw new ArgumentException($"logging.report_to: unknown sink '{name}'; known: {string.Join(", ", Known)}");
            }
        }
        return sinks;
    }
}
