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

    /// <summary>
    /// The value of <c>--device</c> at <paramref name="args"/>[<paramref name="i"/>], advancing <paramref name="i"/>, checked
    /// for spelling (<see cref="EvalPlacement.CheckSpelling"/>) before the run is opened, so that a typo costs no model
    /// rebuild; null (with the reason written, naming the option) when it is missing or malformed.
    /// </summary>
    public static string? DeviceOption(string verb, IReadOnlyList<string> args, ref int i, TextWriter stderr)
    {
        var value = Value(verb, args, ref i, stderr);
        if (value is null) return null;
        if (EvalPlacement.CheckSpelling(value) is not { } error) return value;
        stderr.WriteLine($"lrt {verb}: {error}");
        return null;
    }

    /// <summary>
    /// Where and in what precision <paramref name="verb"/> works on the run (<see cref="EvalPlacement.For(TrainConfig, string?)"/>:
    /// the run's <c>train.device</c> and <c>train.dtype</c>, or <paramref name="deviceOverride"/>); a note about a run's GPU that
    /// is not usable here goes to <paramref name="stderr"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="deviceOverride"/> names a GPU that is not usable (a usage error, through <see cref="VerbErrors"/>).</exception>
    public static EvalPlacement Placement(string verb, TrainConfig train, string? deviceOverride, TextWriter stderr)
    {
        var placement = EvalPlacement.For(train, deviceOverride);
        if (placement.Note is { } note) stderr.WriteLine($"lrt {verb}: {note}");
        return placement;
    }
}
