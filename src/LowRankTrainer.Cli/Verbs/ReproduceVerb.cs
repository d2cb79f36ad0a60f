using LowRankTrainer.Experiments;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt reproduce &lt;experiment&gt; [--quick] [--out DIR] [--dry-run]</c>: trains the runs of an experiment folder
/// that have no results yet, then regenerates its tables, plots and ours-vs-reported comparison.
/// </summary>
public static class ReproduceVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt reproduce <experiment> [--quick] [--out DIR] [--dry-run]
               lrt reproduce --list

        <experiment> is a folder holding experiment.yaml, or a name under experiments/ (searched from the working
        directory upwards). Trains every run of the experiment's grid that has no results yet (one after another;
        runs whose results exist are reused, so an interrupted reproduce picks up where it stopped), then writes
        results.md (tables, plots, ours vs reported) and plots/*.svg, and prints them.
          full (default): results in <experiment>/results/, report in <experiment>/ and its README's
                          generated section; run folders in runs/experiments/<name>/.
          --quick:        the reduced grid (a smoke test of every group, tables and plots), everything under
                          --out (default runs/reproduce-quick/<name>/); the experiment folder is not touched.
          --dry-run:      list the planned runs and whether each has results.
        Exit: 0 all runs succeeded, 1 some failed, 2 usage or manifest/config error, 130 cancelled.
        """;

    /// <summary>Runs the verb with the arguments after <c>reproduce</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (VerbHelp.Handled(args, Usage, stdout, stderr, out var helpCode)) return helpCode;
        if (args[0] == "--list") return ListExperiments(stdout, stderr);
        var quick = false;
        var dryRun = false;
        string? outDir = null;
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--dry-run": dryRun = true; break;
                case "--out" when i + 1 < args.Count: outDir = args[++i]; break;
                default:
                    stderr.WriteLine($"lrt reproduce: unexpected argument '{args[i]}'");
                    stderr.WriteLine(Usage);
                    return ExitCodes.Usage;
            }
        }

        ExperimentManifest manifest;
        try
        {
            manifest = ManifestReader.Read(ExperimentLocator.Find(args[0], Directory.GetCurrentDirectory()));
        }
        catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException or ArgumentException)
        {
            stderr.WriteLine($"lrt reproduce: {e.Message}");
            return ExitCodes.Usage;
        }
        var root = ExperimentLocator.RepositoryRoot(manifest.Folder) ?? Path.GetFullPath(Path.Combine(manifest.Folder, "..", ".."));
        var output = outDir is not null ? Path.GetFullPath(outDir) : quick ? Path.Combine(root, "runs", "reproduce-quick", manifest.Name) : manifest.Folder;
        var paths = new ExperimentPaths(
            quick,
            quick ? Path.Combine(output, "runs") : Path.Combine(root, "runs", "experiments", manifest.Name),
            Path.Combine(output, "results"),
            $"lrt reproduce {manifest.Name}{(quick ? " --quick" : "")}",
            ExperimentLocator.Revision(root));
        var runner = new ExperimentRunner(manifest, paths, stdout, stderr);
        if (dryRun) return DryRun(manifest, runner, quick, stdout);

        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var outcome = runner.Run(cancellation.Token);
            var markdown = ExperimentReport.Write(manifest, outcome.Records, paths, output, updateReadme: !quick && outDir is null);
            stdout.WriteLine();
            stdout.Write(markdown);
            stdout.WriteLine($"reproduce {manifest.Name}: {outcome.Ran} run(s) trained, {outcome.Reused} reused, {outcome.Failed} failed; report in {Path.Combine(output, "results.md")}");
            if (outcome.Cancelled) return ExitCodes.Cancelled;
            return outcome.Failed > 0 ? ExitCodes.Failure : ExitCodes.Ok;
        }
        catch (InvalidDataException e)
        {
            stderr.WriteLine($"lrt reproduce: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or TorchException or ArgumentException)
        {
            stderr.WriteLine($"lrt reproduce: {e.Message}");
            return ExitCodes.Failure;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static int DryRun(ExperimentManifest manifest, ExperimentRunner runner, bool quick, TextWriter stdout)
    {
        var plan = PlannedRun.Plan(manifest, quick);
        stdout.WriteLine($"{manifest.Name}: {plan.Count} run(s){(quick ? " (quick)" : "")}");
        foreach (var run in plan)
        {
            var done = File.Exists(Path.Combine(runner.ResultFolder(run), "summary.json"));
            stdout.WriteLine($"  {(done ? "done   " : "missing")} {run.Group.Name}/{run.Name}");
        }
        return ExitCodes.Ok;
    }

    private static int ListExperiments(TextWriter stdout, TextWriter stderr)
    {
        var folder = ExperimentLocator.ExperimentsFolder(Directory.GetCurrentDirectory());
        if (folder is null)
        {
            stderr.WriteLine("lrt reproduce: no experiments/ folder here or above");
            return ExitCodes.Failure;
        }
        foreach (var name in ExperimentLocator.List(folder))
        {
            string title;
            try
            {
                title = ManifestReader.Read(Path.Combine(folder, name)).Title;
            }
            catch (InvalidDataException e)
            {
                title = "(manifest error: " + e.Message + ")";
            }
            stdout.WriteLine($"  {name,-28} {title}");
        }
        return ExitCodes.Ok;
    }
}
