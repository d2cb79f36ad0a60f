using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LowRankTrainer.Training;

/// <summary>
/// Appends <see cref="MetricsEntry"/> events to <c>metrics.jsonl</c> (canonical, one JSON object per
/// line) and <c>metrics.csv</c> (a flat mirror with the fixed header <see cref="CsvHeader"/>),
/// flushing after each event so a crashed run keeps its curve, and hands every event on to its
/// <see cref="IMetricsSink"/>s (<c>logging.report_to</c>), which it owns.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    /// <summary>The CSV columns, in order.</summary>
    public const string CsvHeader = "split,step,epoch,loss,learning_rate,grad_norm,samples_per_second,eval_loss,eval_accuracy,eval_runtime,elapsed_seconds";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly StreamWriter? _jsonl;
    private readonly StreamWriter? _csv;
    private readonly IReadOnlyList<IMetricsSink> _sinks;

    /// <summary>Creates (or truncates) both files in <paramref name="runDirectory"/>; <paramref name="sinks"/> get every event too.</summary>
    public MetricsLog(string runDirectory, IReadOnlyList<IMetricsSink>? sinks = null)
    {
        _sinks = sinks ?? [];
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        _jsonl = new StreamWriter(Path.Combine(runDirectory, "metrics.jsonl"), append: false, utf8) { NewLine = "\n" };
        _csv = new StreamWriter(Path.Combine(runDirectory, "metrics.csv"), append: false, utf8) { NewLine = "\n" };
        _csv.WriteLine(CsvHeader);
        _csv.Flush();
    }

    private MetricsLog() => _sinks = [];

    /// <summary>A log that only remembers its <see cref="History"/> (a data-parallel run's ranks other than 0 write no files).</summary>
    public static MetricsLog InMemory() => new();

    /// <summary>Every entry written so far (what <c>trainer_state.json</c> saves as <c>log_history</c>).</summary>
    public List<MetricsEntry> History { get; } = [];

    /// <summary>Writes one event to both files and every sink, and remembers it.</summary>
    public void Write(MetricsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        History.Add(entry);
        if (_jsonl is null || _csv is null) return;
        _jsonl.WriteLine(JsonSerializer.Serialize(entry, Json));
        _jsonl.Flush();
        _csv.WriteLine(string.Join(',', entry.Split, F(entry.Step), F(entry.Epoch), F(entry.Loss), F(entry.LearningRate), F(entry.GradNorm),
                                   F(entry.SamplesPerSecond), F(entry.EvalLoss), F(entry.EvalAccuracy), F(entry.EvalRuntime), F(entry.ElapsedSeconds)));
        _csv.Flush();
        foreach (var sink in _sinks) sink.Write(entry);
    }

    // "R"-style shortest round-trip formatting, invariant culture; empty for absent values.
    private static string F(double? v) => v is { } d ? d.ToString(CultureInfo.InvariantCulture) : "";

    private static string F(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Closes both files and the sinks.</summary>
    public void Dispose()
    {
        _jsonl?.Dispose();
        _csv?.Dispose();
        foreach (var sink in _sinks) sink.Dispose();
    }
}
