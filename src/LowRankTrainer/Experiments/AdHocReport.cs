namespace LowRankTrainer.Experiments;

/// <summary>
/// <c>lrt report</c>'s table and plot for runs that have no manifest: rows are the config keys whose values differ
/// between the runs (the seed keys excepted — runs differing only in seed are one row's repeats), columns the usual
/// metrics the runs hold; the plot puts a chosen (or the first numeric, ≥ 3-valued) differing key on x and the
/// remaining differing keys into series.
/// </summary>
public static class AdHocReport
{
    /// <summary>Keys that differ between runs without describing the setting (paths, names, seeds).</summary>
    public static IReadOnlyList<string> IgnoredKeys { get; } =
        [RunRecord.GroupKey, RunRecord.RunKey, "name", "train.output_dir", "train.run_name", "train.resume_from_checkpoint", "model.pretrained"];

    /// <summary>The keys that identify a run's repeats.</summary>
    public static IReadOnlyList<string> SeedKeys { get; } = ["train.seed", "train.data_seed", "adapter.init_seed"];

    private static readonly ColumnSpec[] Candidates =
    [
        new("num_trainable_params", "trainable params", Digits: 0, Aggregate: "first"),
        new("eval_accuracy", "eval accuracy %", Scale: 100, Digits: 2),
        new("eval_f1", "eval macro-F1 %", Scale: 100, Digits: 2),
        new("eval_loss", "eval loss", Digits: 4),
        new("train_loss", "train loss", Digits: 4),
        new("train_step_seconds", "s/step", Digits: 4),
    ];

    /// <summary>The config keys whose values differ between <paramref name="records"/>, in key order, seeds excluded.</summary>
    public static IReadOnlyList<string> VaryingKeys(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return records.SelectMany(r => r.Values.Keys).Distinct()
            .Where(k => !IgnoredKeys.Contains(k) && !SeedKeys.Contains(k))
            .Where(k => records.Select(r => r.Value(k) ?? "").Distinct().Count() > 1)
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The table over <paramref name="records"/>.</summary>
    public static TableSpec Table(IReadOnlyList<RunRecord> records)
    {
        var columns = Candidates.Where(c => records.Any(r => r.Metric(c.Metric) is not null)).ToList();
        return new TableSpec("runs", "Runs", RunFilter.All, VaryingKeys(records), columns);
    }

    /// <summary>
    /// The plot over <paramref name="records"/>, or null when no differing key is numeric with at least three values and
    /// none was given.
    /// </summary>
    /// <param name="records">The runs.</param>
    /// <param name="x">The x key or metric, or null to choose one.</param>
    /// <param name="y">The y metric, or null for eval accuracy (eval loss when the runs have no accuracy).</param>
    /// <param name="series">The series keys, or null for the other differing keys.</param>
    /// <param name="logX">Log x axis, or null to use one when all x are positive and span 20× or more.</param>
    public static PlotSpec? Plot(IReadOnlyList<RunRecord> records, string? x, string? y, IReadOnlyList<string>? series, bool? logX)
    {
        ArgumentNullException.ThrowIfNull(records);
        var varying = VaryingKeys(records);
        x ??= varying.FirstOrDefault(k => records.Select(r => r.Value(k)).Distinct().Count() >= 3
            && records.All(r => r.Value(k) is { } v && ValueOrder.TryNumber(v, out _)));
        if (x is null) return null;
        y ??= records.Any(r => r.Metric("eval_accuracy") is not null) ? "eval_accuracy" : "eval_loss";
        var percent = y.Contains("accuracy", StringComparison.Ordinal) || y.Contains("f1", StringComparison.Ordinal);
        var xs = records.Select(r => r.Value(x) is { } v && ValueOrder.TryNumber(v, out var d) ? d : r.Metric(x)).OfType<double>().ToList();
        var log = logX ?? (xs.Count > 0 && xs.Min() > 0 && xs.Max() / xs.Min() >= 20);
        return new PlotSpec("runs", $"{y} against {x}", RunFilter.All, x, y, series ?? varying.Where(k => k != x).ToList(),
            x, percent ? y + " %" : y, LogX: log, YScale: percent ? 100 : 1);
    }

    /// <summary>
    /// The run folders under <paramref name="path"/>: the folder itself when it holds summary.json, else every folder
    /// below it that does (checkpoint folders are not runs).
    /// </summary>
    public static IEnumerable<string> RunFolders(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(Path.Combine(path, "summary.json"))) return [path];
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such folder");
        return Directory.EnumerateFiles(path, "summary.json", SearchOption.AllDirectories)
            .Select(f => Path.GetDirectoryName(f)!)
            .Where(d => !d.Split(Path.DirectorySeparatorChar).Any(p => p is "checkpoints" or "final"))
            .Order(StringComparer.Ordinal);
    }
}
