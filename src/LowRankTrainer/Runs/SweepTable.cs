using System.Globalization;
using System.Text;

namespace LowRankTrainer.Runs;

/// <summary>One finished run of a sweep: its swept values, its summary.json (null when the run failed before writing one), its folder.</summary>
public sealed record SweepRow(IReadOnlyList<(string Key, string Value)> Values, RunSummary? Summary, string? RunDirectory);

/// <summary>The runs of a sweep as one table, in markdown (printed, <c>sweep.md</c>) and CSV (<c>sweep.csv</c>).</summary>
public static class SweepTable
{
    private static readonly string[] SummaryColumns =
        ["status", "eval_accuracy", "eval_loss", "train_loss", "num_trainable_params", "global_step", "train_runtime", "run_dir"];

    /// <summary>The header: the swept keys, then the summary fields.</summary>
    public static IReadOnlyList<string> Header(IReadOnlyList<string> keys) => [.. keys, .. SummaryColumns];

    private static IReadOnlyList<string> Cells(SweepRow row)
    {
        var s = row.Summary;
        static string Num(double? v) => v is { } x ? x.ToString("0.######", CultureInfo.InvariantCulture) : "";
        return
        [
            .. row.Values.Select(v => v.Value),
            s?.Status ?? "failed", Num(s?.EvalAccuracy), Num(s?.EvalLoss), Num(s?.TrainLoss),
            s is null ? "" : s.NumTrainableParams.ToString(CultureInfo.InvariantCulture),
            s is null ? "" : s.GlobalStep.ToString(CultureInfo.InvariantCulture),
            Num(s?.TrainRuntime), row.RunDirectory ?? "",
        ];
    }

    /// <summary>A GitHub markdown table.</summary>
    public static string Markdown(IReadOnlyList<string> keys, IReadOnlyList<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder();
        var header = Header(keys);
        sb.Append("| ").AppendJoin(" | ", header).Append(" |\n");
        sb.Append('|').AppendJoin("|", header.Select(_ => "---")).Append("|\n");
        foreach (var row in rows) sb.Append("| ").AppendJoin(" | ", Cells(row).Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>RFC 4180 CSV (fields with a comma, quote or newline are quoted).</summary>
    public static string Csv(IReadOnlyList<string> keys, IReadOnlyList<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        static string Field(string f) => f.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + f.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : f;
        var sb = new StringBuilder();
        sb.AppendJoin(",", Header(keys).Select(Field)).Append('\n');
        foreach (var row in rows) sb.AppendJoin(",", Cells(row).Select(Field)).Append('\n');
        return sb.ToString();
    }
}
