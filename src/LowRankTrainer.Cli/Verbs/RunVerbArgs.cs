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
        var config = ConfigVerbArgs.LoadFile(verb, location.ConfigFile, overrides, stderr, out exitCode);
        if (config is null) return null;
        return (location, config);
    }

    /// <summary>The value after option <paramref name="args"/>[<paramref name="i"/>], advancing <paramref name="i"/>; null (with the reason written) when it is missing.</summary>
    public static string? Value(string verb, IReadOnlyList<string> args, ref int i, TextWriter stderr)
    {
        if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) return args[++i];
        stderr.WriteLine($"lrt {verb}: {args[i]} needs a value");
        return null;
    }
}
