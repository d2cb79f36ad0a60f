using LowRankTrainer.Config;
using LowRankTrainer.Runs;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>Shared argument handling of the verbs that reopen a finished run (<c>eval</c>, <c>merge</c>).</summary>
internal static class RunVerbArgs
{
    /// <summary>
    /// Finds the run <paramref name="path"/> names and loads its <c>config.yaml</c> with <paramref name="overrides"/>.
    /// Returns null (having written the reason to <paramref name="stderr"/> and set <paramref name="exitCode"/>: 2 for a
    /// path that names no run or a config error, 1 for an unreadable file) when that fails.
    /// </summary>
    public static (RunLocation Location, ExperimentConfig Config)? Open(string verb, string path, IReadOnlyList<string> overrides, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        RunLocation location;
        try
        {
            location = RunLocation.Find(path);
        }
        catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException)
        {
            stderr.WriteLine($"lrt {verb}: {e.Message}");
            exitCode = ExitCodes.Usage;
            return null;
        }
        ConfigLoadResult result;
        try
        {
            result = ConfigLoader.Load(location.ConfigFile, overrides);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"lrt {verb}: cannot read {location.ConfigFile}: {e.Message}");
            exitCode = ExitCodes.Failure;
            return null;
        }
        if (result.Config is null)
        {
            foreach (var diagnostic in result.Diagnostics) stderr.WriteLine(diagnostic.ToString());
            stderr.WriteLine($"lrt {verb}: {result.Diagnostics.Count} error{(result.Diagnostics.Count == 1 ? "" : "s")} in {location.ConfigFile}");
            exitCode = ExitCodes.Usage;
            return null;
        }
        return (location, result.Config);
    }

    /// <summary>The value after option <paramref name="args"/>[<paramref name="i"/>], advancing <paramref name="i"/>; null (with the reason written) when it is missing.</summary>
    public static string? Value(string verb, IReadOnlyList<string> args, ref int i, TextWriter stderr)
    {
        if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) return args[++i];
        stderr.WriteLine($"lrt {verb}: {args[i]} needs a value");
        return null;
    }
}
