using LowRankTrainer.Config;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>Shared argument handling of the config verbs: <c>&lt;config.yaml&gt; [a.b=value ...]</c>.</summary>
internal static class ConfigVerbArgs
{
    /// <summary>
    /// Parses the arguments after the verb and loads the config. Returns null (having written the
    /// reason to <paramref name="stderr"/> and set <paramref name="exitCode"/>) when there is no config.
    /// </summary>
    public static ExperimentConfig? Load(string verb, string usage, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        if (args.Count > 0 && args[0] is "--help" or "-h")
        {
            stdout.WriteLine(usage);
            return null;
        }
        var unknownOption = args.FirstOrDefault(a => a.StartsWith('-'));
        if (args.Count == 0 || unknownOption is not null)
        {
            if (unknownOption is not null) stderr.WriteLine($"lrt {verb}: unknown option '{unknownOption}'");
            stderr.WriteLine(usage);
            exitCode = ExitCodes.Usage;
            return null;
        }
        return LoadFile(verb, args[0], args.Skip(1).ToList(), stderr, out exitCode);
    }

    /// <summary>
    /// Loads <paramref name="path"/> with <paramref name="overrides"/>. Returns null (having written every diagnostic, or
    /// why the file could not be read, to <paramref name="stderr"/> and set <paramref name="exitCode"/>: 2 for config
    /// errors, 1 for an unreadable file) when there is no config.
    /// </summary>
    public static ExperimentConfig? LoadFile(string verb, string path, IReadOnlyList<string> overrides, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        ConfigLoadResult result;
        try
        {
            result = ConfigLoader.Load(path, overrides);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"lrt {verb}: cannot read {path}: {e.Message}");
            exitCode = ExitCodes.Failure;
            return null;
        }
        if (result.Config is null)
        {
            foreach (var diagnostic in result.Diagnostics) stderr.WriteLine(diagnostic.ToString());
            stderr.WriteLine($"lrt {verb}: {result.Diagnostics.Count} error{(result.Diagnostics.Count == 1 ? "" : "s")} in {path}");
            exitCode = ExitCodes.Usage;
            return null;
        }
        return result.Config;
    }
}
