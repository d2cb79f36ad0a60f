using LowRankTrainer.Config;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt sweep &lt;config.yaml&gt; [key=value ...] key=[v1,v2,...] ... [--dry-run]</c>: trains one config once per
/// combination of the swept values (a grid, in order, one run at a time) and collects every run's summary.json into
/// one table, printed and written as <c>sweep.md</c> and <c>sweep.csv</c> in the sweep folder.
/// </summary>
public static class SweepVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt sweep <config.yaml> [section.key=value ...] section.key=[v1,v2,...] ... [--dry-run]

        Trains the config once per combination of the bracketed values (the grid of all swept keys, the
        last key varying fastest; a list-valued key such as model.hidden_sizes is swept with a list of
        lists, [[200],[200,200]]), one run after another. Every combination is validated before the first
        run starts. The sweep folder is output_dir/<run_name>-sweep/<yyyyMMdd-HHmmss>/: each run goes into
        <sweep folder>/<key-value_...>/<timestamp>/, and sweep.md / sweep.csv there collect each run's
        summary.json (rewritten after every run). --dry-run validates and lists the runs. Example:
          lrt sweep configs/methods/intrinsic.yaml adapter.d=[100,200,500] train.seed=[1,2,3]
        Exit: 0 all runs succeeded, 1 some failed, 2 usage or config error, 130 cancelled.
        """;

    /// <summary>Runs the verb with the arguments after <c>sweep</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (VerbHelp.Handled(args, Usage, stdout, stderr, out var helpCode)) return helpCode;
        var dryRun = args.Contains("--dry-run");
        var rest = args.Skip(1).Where(a => a != "--dry-run").ToList();
        if (rest.FirstOrDefault(a => a.StartsWith('-')) is { } unknown)
        {
            stderr.WriteLine($"lrt sweep: unknown option '{unknown}'");
            stderr.WriteLine(Usage);
            return ExitCodes.Usage;
        }
        SweepPlan plan;
        try
        {
            plan = SweepPlan.Parse(rest);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"lrt sweep: {e.Message}");
            return ExitCodes.Usage;
        }

        var path = args[0];
        var baseConfig = LoadOrReport(path, plan.Overrides, "the base config", stderr, out var exitCode);
        if (baseConfig is null) return exitCode;
        var combinations = plan.Combinations();
        var runs = new List<(IReadOnlyList<(string Key, string Value)> Values, ExperimentConfig Config)>();
        foreach (var combination in combinations)
        {
            var overrides = plan.Overrides.Concat(combination.Select(c => $"{c.Key}={c.Value}")).ToList();
            var config = LoadOrReport(path, overrides, SweepPlan.RunName(combination), stderr, out exitCode);
            if (config is null) return exitCode;
            runs.Add((combination, config));
        }
        var keys = plan.Axes.Select(a => a.Key).ToList();
        stdout.WriteLine($"sweep: {runs.Count} run{(runs.Count == 1 ? "" : "s")} over {(keys.Count == 0 ? "no swept key" : string.Join(" × ", plan.Axes.Select(a => $"{a.Key} ({a.Values.Count})")))}");
        if (dryRun)
        {
            foreach (var (values, _) in runs) stdout.WriteLine("  " + SweepPlan.RunName(values));
            return ExitCodes.Ok;
        }

        var runName = baseConfig.Train.RunName ?? baseConfig.Name ?? "run";
        var sweepDir = RunFolder.Create(baseConfig.Train.OutputDir, runName + "-sweep", DateTimeOffset.Now);
        stdout.WriteLine($"sweep folder: {sweepDir}");
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var rows = new List<SweepRow>();
        try
        {
            for (var i = 0; i < runs.Count && !cancellation.IsCancellationRequested; i++)
            {
                var (values, config) = runs[i];
                var name = SweepPlan.RunName(values);
                stdout.WriteLine($"sweep: run {i + 1}/{runs.Count}: {name}");
                config = config with { Train = config.Train with { OutputDir = sweepDir, RunName = name } };
                rows.Add(RunOne(config, values, stdout, stderr, cancellation.Token));
                WriteTables(sweepDir, keys, rows);
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        stdout.WriteLine();
        stdout.Write(SweepTable.Markdown(keys, rows));
        stdout.WriteLine($"sweep: tables in {Path.Combine(sweepDir, "sweep.md")} and sweep.csv");
        if (cancellation.IsCancellationRequested || rows.Any(r => r.Summary?.Status == "cancelled")) return ExitCodes.Cancelled;
        return rows.All(r => r.Summary?.Status == "success") ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static SweepRow RunOne(ExperimentConfig config, IReadOnlyList<(string Key, string Value)> values, TextWriter stdout, TextWriter stderr, CancellationToken token)
    {
        try
        {
            var result = new Trainer(config, ConfigWriter.Write(config), stdout).Run(token);
            return new SweepRow(values, result.Summary, result.RunDirectory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or NonFiniteLossException or InvalidDataException or IOException or TorchException)
        {
            stderr.WriteLine($"lrt sweep: run {SweepPlan.RunName(values)} failed: {e.Message}");
            return new SweepRow(values, null, null);
        }
    }

    private static void WriteTables(string sweepDir, IReadOnlyList<string> keys, IReadOnlyList<SweepRow> rows)
    {
        File.WriteAllText(Path.Combine(sweepDir, "sweep.md"), SweepTable.Markdown(keys, rows));
        File.WriteAllText(Path.Combine(sweepDir, "sweep.csv"), SweepTable.Csv(keys, rows));
    }

    private static ExperimentConfig? LoadOrReport(string path, IReadOnlyList<string> overrides, string what, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        ConfigLoadResult result;
        try
        {
            result = ConfigLoader.Load(path, overrides);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"lrt sweep: cannot read the config: {e.Message}");
            exitCode = ExitCodes.Failure;
            return null;
        }
        if (result.Config is not null) return result.Config;
        foreach (var diagnostic in result.Diagnostics) stderr.WriteLine(diagnostic.ToString());
        stderr.WriteLine($"lrt sweep: {result.Diagnostics.Count} error{(result.Diagnostics.Count == 1 ? "" : "s")} in {path} ({what})");
        exitCode = ExitCodes.Usage;
        return null;
    }
}
