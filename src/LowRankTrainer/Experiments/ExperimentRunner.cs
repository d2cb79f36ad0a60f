using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Config;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Experiments;

/// <summary>Where an experiment's runs and results go, and how it was invoked.</summary>
/// <param name="Quick">Run the quick version.</param>
/// <param name="RunsRoot">Run folders (<c>&lt;root&gt;/&lt;group&gt;/&lt;run&gt;/&lt;timestamp&gt;/</c>; large, not committed).</param>
/// <param name="ResultsRoot">Per-run results (<c>&lt;root&gt;/&lt;group&gt;/&lt;run&gt;/summary.json</c>, config.yaml, env.json,
/// provenance.json; small, committed for the full version).</param>
/// <param name="Command">The command line, recorded in provenance.json and results.md.</param>
/// <param name="Revision">The source revision (git), recorded likewise.</param>
/// <param name="RepositoryRoot">Where relative data, tokenizer and model paths of the configs are found when they are
/// not found from the working directory (configs name them relative to the repository root, where lrt usually runs).</param>
public sealed record ExperimentPaths(bool Quick, string RunsRoot, string ResultsRoot, string Command, string Revision, string? RepositoryRoot = null);

/// <summary>What <see cref="ExperimentRunner.Run"/> did.</summary>
/// <param name="Records">Every planned run that has results, in plan order.</param>
/// <param name="Ran">Runs trained by this call.</param>
/// <param name="Reused">Runs whose results were already there.</param>
/// <param name="Failed">Runs that failed (their error was printed).</param>
/// <param name="Cancelled">The token fired.</param>
public sealed record ExperimentOutcome(IReadOnlyList<RunRecord> Records, int Ran, int Reused, int Failed, bool Cancelled);

/// <summary>
/// Trains the runs of an experiment that have no results yet, one after another in plan order, and copies each
/// finished run's small files into the results folder with a provenance.json (command, revision, time, run folder).
/// A run whose config takes another group's checkpoint (<c>inputs</c>) needs that group's run folder: when only its
/// committed results exist (a fresh clone), that run is trained again first (runs are seeded, so it is the same).
/// </summary>
public sealed class ExperimentRunner(ExperimentManifest manifest, ExperimentPaths paths, TextWriter stdout, TextWriter stderr)
{
    private static readonly string[] ResultFiles = ["summary.json", "config.yaml", "env.json"];
    // Relaxed escaping keeps '+' in a revision such as 1234abc+dirty readable.
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The provenance file written beside each run's results.</summary>
    public const string ProvenanceFile = "provenance.json";

    /// <summary>Validates every planned run's config (without its inputs), then trains what is missing.</summary>
    /// <exception cref="InvalidDataException">A planned config does not validate (every diagnostic is in the message).</exception>
    public ExperimentOutcome Run(CancellationToken token)
    {
        var plan = PlannedRun.Plan(manifest, paths.Quick);
        // Validate everything first; an input (a checkpoint another run will write) is checked with its future path.
        foreach (var run in plan) Load(run, run.Group.Inputs.Select(i => $"{i.Key}={Path.Combine(paths.RunsRoot, i.Value, "final")}").ToList());
        int ran = 0, reused = 0, failed = 0;
        for (var i = 0; i < plan.Count && !token.IsCancellationRequested; i++)
        {
            var run = plan[i];
            if (IsDone(run))
            {
                reused++;
                continue;
            }
            stdout.WriteLine($"reproduce {manifest.Name}: run {i + 1}/{plan.Count}: {run.Group.Name}/{run.Name}");
            var inputs = new List<string>();
            foreach (var (key, source) in run.Group.Inputs)
            {
                var sourceRuns = plan.Where(p => p.Group.Name == source).ToList();
                if (sourceRuns.Count != 1) throw new InvalidDataException($"{manifest.Name}: group {run.Group.Name} takes {key} from group {source}, which has {sourceRuns.Count} runs (it needs exactly one)");
                var folder = FinishedRunFolder(sourceRuns[0]);
                if (folder is null)
                {
                    stdout.WriteLine($"reproduce {manifest.Name}: {source}/{sourceRuns[0].Name} has results but no run folder here; training it again for its checkpoint");
                    folder = Train(sourceRuns[0], [], token, ref ran, ref failed);
                    if (folder is null) break;
                }
                inputs.Add($"{key}={Path.Combine(folder, "final")}");
            }
            // A source run that failed was counted (and reported) already; its dependants cannot start.
            if (inputs.Count < run.Group.Inputs.Count) continue;
            Train(run, inputs, token, ref ran, ref failed);
        }
        var records = plan.Where(IsDone).Select(r => RunRecord.Load(ResultFolder(r), r.Group.Name, r.Name)).ToList();
        return new ExperimentOutcome(records, ran, reused, failed, token.IsCancellationRequested);
    }

    /// <summary>The results folder of a planned run.</summary>
    public string ResultFolder(PlannedRun run) => Path.Combine(paths.ResultsRoot, run.Group.Name, run.Name);

    private bool IsDone(PlannedRun run)
    {
        var summary = Path.Combine(ResultFolder(run), "summary.json");
        if (!File.Exists(summary)) return false;
        try
        {
            return RunSummary.FromJson(File.ReadAllText(summary)).Status == "success";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // The newest run folder of a planned run that finished successfully and kept its final/ checkpoint.
    private string? FinishedRunFolder(PlannedRun run)
    {
        var parent = Path.Combine(paths.RunsRoot, run.Group.Name, run.Name);
        if (!Directory.Exists(parent)) return null;
        return Directory.EnumerateDirectories(parent).Order(StringComparer.Ordinal).Reverse().FirstOrDefault(d =>
            Directory.Exists(Path.Combine(d, "final")) && File.Exists(Path.Combine(d, "summary.json"))
            && RunSummary.FromJson(File.ReadAllText(Path.Combine(d, "summary.json"))).Status == "success");
    }

    private string? Train(PlannedRun run, IReadOnlyList<string> inputs, CancellationToken token, ref int ran, ref int failed)
    {
        var config = Rooted(Load(run, inputs));
        config = config with { Train = config.Train with { OutputDir = Path.Combine(paths.RunsRoot, run.Group.Name), RunName = run.Name } };
        TrainResult result;
        try
        {
            result = new Trainer(config, ConfigWriter.Write(config), stdout).Run(token);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or NonFiniteLossException or InvalidDataException or IOException or TorchException)
        {
            stderr.WriteLine($"reproduce {manifest.Name}: run {run.Group.Name}/{run.Name} failed: {e.Message}");
            failed++;
            return null;
        }
        if (result.Summary.Status != "success")
        {
            if (!result.Cancelled) failed++;
            return null;
        }
        ran++;
        var target = ResultFolder(run);
        Directory.CreateDirectory(target);
        foreach (var file in ResultFiles)
        {
            var source = Path.Combine(result.RunDirectory, file);
            if (File.Exists(source)) File.Copy(source, Path.Combine(target, file), overwrite: true);
        }
        var provenance = new Dictionary<string, string>
        {
            ["command"] = paths.Command,
            ["revision"] = paths.Revision,
            ["finished_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["run_dir"] = result.RunDirectory,
            ["config"] = Path.GetRelativePath(manifest.Folder, run.ConfigPath),
            ["overrides"] = string.Join(" ", run.Overrides),
        };
        File.WriteAllText(Path.Combine(target, ProvenanceFile), JsonSerializer.Serialize(provenance, IndentedJson) + "\n");
        return result.RunDirectory;
    }

    // A relative file the working directory does not have but the repository root does is taken from the root, so an
    // experiment runs the same from anywhere (tests run it from their build folder).
    private ExperimentConfig Rooted(ExperimentConfig c)
    {
        string? Fix(string? path) =>
            path is null || Path.IsPathRooted(path) || paths.RepositoryRoot is null || File.Exists(path) || Directory.Exists(path)
                ? path
                : File.Exists(Path.Combine(paths.RepositoryRoot, path)) || Directory.Exists(Path.Combine(paths.RepositoryRoot, path)) ? Path.Combine(paths.RepositoryRoot, path) : path;
        return c with
        {
            Model = c.Model with { HfConfig = Fix(c.Model.HfConfig), Pretrained = Fix(c.Model.Pretrained) },
            Data = c.Data with { Path = Fix(c.Data.Path), EvalPath = Fix(c.Data.EvalPath), Tokenizer = Fix(c.Data.Tokenizer) },
        };
    }

    private static ExperimentConfig Load(PlannedRun run, IReadOnlyList<string> inputs)
    {
        var result = ConfigLoader.Load(run.ConfigPath, [.. run.Overrides, .. inputs]);
        if (result.Config is not null) return result.Config;
        throw new InvalidDataException($"{run.Group.Name}/{run.Name}: {result.Diagnostics.Count} config error(s):\n  " + string.Join("\n  ", result.Diagnostics.Select(d => d.ToString())));
    }
}
