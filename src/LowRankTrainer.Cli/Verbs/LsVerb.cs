using System.Globalization;
using LowRankTrainer.Runs;

namespace LowRankTrainer.Cli.Verbs;

/// <summary><c>lrt ls [configs | runs [output_dir]]</c>: the shipped configs, or the runs in a folder.</summary>
public static class LsVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt ls [configs]            the shipped configs with their one-line descriptions
               lrt ls runs [output_dir]    the runs under output_dir (default: runs) with their status
        """;

    /// <summary>Runs the verb with the arguments after <c>ls</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var what = args.Count > 0 ? args[0] : "configs";
        switch (what)
        {
            case "--help" or "-h":
                stdout.WriteLine(Usage);
                return ExitCodes.Ok;
            case "configs" when args.Count == 1 || args.Count == 0:
                return ListConfigs(stdout, stderr);
            case "runs" when args.Count <= 2:
                return ListRuns(args.Count == 2 ? args[1] : "runs", stdout, stderr);
            default:
                stderr.WriteLine($"lrt ls: unexpected '{string.Join(' ', args)}'");
                stderr.WriteLine(Usage);
                return ExitCodes.Usage;
        }
    }

    /// <summary>configs/ of the current folder, else of the checkout the tool runs from.</summary>
    internal static string? FindConfigsFolder()
    {
        if (Directory.Exists("configs")) return Path.GetFullPath("configs");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "configs");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "LowRankTrainer.sln"))) return candidate;
        }
        return null;
    }

    private static int ListConfigs(TextWriter stdout, TextWriter stderr)
    {
        var folder = FindConfigsFolder();
        if (folder is null)
        {
            stderr.WriteLine("lrt ls: no configs/ folder here or in the checkout lrt runs from");
            return ExitCodes.Failure;
        }
        foreach (var file in Directory.EnumerateFiles(folder, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            // The first comment line of a shipped config says what it is.
            var description = File.ReadLines(file).FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#', ' ') ?? "";
            stdout.WriteLine($"{Path.GetRelativePath(Path.GetDirectoryName(folder)!, file),-50} {description}");
        }
        return ExitCodes.Ok;
    }

    private static int ListRuns(string outputDir, TextWriter stdout, TextWriter stderr)
    {
        if (!Directory.Exists(outputDir))
        {
            stderr.WriteLine($"lrt ls: no such folder: {outputDir}");
            return ExitCodes.Usage;
        }
        foreach (var run in Directory.EnumerateDirectories(outputDir).SelectMany(Directory.EnumerateDirectories).Order(StringComparer.Ordinal))
        {
            var summaryPath = Path.Combine(run, "summary.json");
            var line = $"{Path.GetRelativePath(outputDir, run),-40}";
            if (File.Exists(summaryPath))
            {
                var s = RunSummary.FromJson(File.ReadAllText(summaryPath));
                line += string.Create(CultureInfo.InvariantCulture,
                    $" {s.Status,-10} step {s.GlobalStep,6}  eval_accuracy {(s.EvalAccuracy is { } a ? a.ToString("0.0000", CultureInfo.InvariantCulture) : "-")}");
            }
            else
            {
                line += " (running or interrupted: no summary.json)";
            }
            stdout.WriteLine(line);
        }
        return ExitCodes.Ok;
    }
}
