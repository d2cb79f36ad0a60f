using LowRankTrainer.Experiments;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt report &lt;run dirs or folders...&gt;</c>: one table (and a plot) over any runs, grouped by the config keys
/// that differ between them, with seeds as repeats.
/// </summary>
public static class ReportVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt report <run folder or folder of runs> ... [--out DIR] [--x KEY] [--y METRIC] [--series K1,K2] [--log-x | --linear-x]

        Reads every run (a folder with summary.json; folders are searched for them) and prints one Markdown table:
        a row per combination of the config keys that differ between the runs (runs that differ only in
        train.seed are one row's repeats: mean ± sample std), columns for trainable parameters, eval accuracy,
        macro-F1, eval loss, train loss and step time where the runs have them. With --out, writes report.md and
        plots/runs.svg there: y (default eval_accuracy) against x (default: the first differing numeric key with
        three or more values; a config key or a summary metric such as num_trainable_params), one series per
        value of the other differing keys (or --series).
        Example: lrt report runs/intrinsic-sweep/20261122-101500 --out /tmp/report --x adapter.d
        """;

    /// <summary>Runs the verb with the arguments after <c>report</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (VerbHelp.Handled(args, Usage, stdout, stderr, out var helpCode)) return helpCode;
        var folders = new List<string>();
        string? outDir = null, x = null, y = null;
        List<string>? series = null;
        bool? logX = null;
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            bool HasValue() => i + 1 < args.Count;
            switch (a)
            {
                case "--out" when HasValue(): outDir = args[++i]; break;
                case "--x" when HasValue(): x = args[++i]; break;
                case "--y" when HasValue(): y = args[++i]; break;
                case "--series" when HasValue(): series = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(); break;
                case "--log-x": logX = true; break;
                case "--linear-x": logX = false; break;
                default:
                    if (a.StartsWith('-'))
                    {
                        stderr.WriteLine($"lrt report: unknown option '{a}'");
                        stderr.WriteLine(Usage);
                        return ExitCodes.Usage;
                    }
                    folders.Add(a);
                    break;
            }
        }
        var records = new List<RunRecord>();
        try
        {
            foreach (var folder in folders)
            {
                foreach (var run in AdHocReport.RunFolders(folder)) records.Add(RunRecord.Load(run));
            }
        }
        catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException or IOException)
        {
            stderr.WriteLine($"lrt report: {e.Message}");
            return ExitCodes.Failure;
        }
        var succeeded = records.Where(r => r.Status == "success").ToList();
        if (succeeded.Count == 0)
        {
            stderr.WriteLine($"lrt report: no successful runs (summary.json with status success) under {string.Join(", ", folders)}");
            return ExitCodes.Failure;
        }
        var builder = new ReportBuilder(succeeded);
        var table = builder.Table(AdHocReport.Table(succeeded));
        var markdown = $"{succeeded.Count} run(s){(records.Count > succeeded.Count ? $" ({records.Count - succeeded.Count} unsuccessful left out)" : "")}\n\n{table.Markdown()}";
        stdout.Write(markdown);
        if (outDir is null) return ExitCodes.Ok;
        try
        {
            Directory.CreateDirectory(Path.Combine(outDir, "plots"));
            if (AdHocReport.Plot(succeeded, x, y, series, logX) is { } plot)
            {
                var data = builder.Plot(plot);
                if (data.Series.Count > 0)
                {
                    File.WriteAllText(Path.Combine(outDir, "plots", plot.Name + ".svg"), SvgLinePlot.Render(data));
                    markdown += $"\n![{plot.Title}](plots/{plot.Name}.svg)\n";
                }
            }
            else
            {
                stdout.WriteLine("lrt report: no plot (no differing numeric key with three or more values; give --x)");
            }
            File.WriteAllText(Path.Combine(outDir, "report.md"), "# Runs\n\n" + markdown);
            stdout.WriteLine($"lrt report: wrote {Path.Combine(outDir, "report.md")}");
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"lrt report: {e.Message}");
            return ExitCodes.Usage;
        }
        return ExitCodes.Ok;
    }
}
