namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt validate &lt;config.yaml&gt; [a.b=value ...]</c>: resolves and checks a config, printing
/// <c>ok</c> (exit 0) or every error compiler-style, <c>file(line,col): error LRTxxxx: …</c> (exit 2).
/// </summary>
public static class ValidateVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt validate <config.yaml> [section.key=value ...]

        Resolves base: inheritance and the overrides, then checks every key, type, range and
        cross-key rule. Prints "ok", or each error as file(line,col): error LRTxxxx: message.
        exit codes: 0 valid, 2 errors in the config or the command line
        """;

    /// <summary>Runs the verb on the arguments that follow <c>validate</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var config = ConfigVerbArgs.Load("validate", Usage, args, stdout, stderr, out var exitCode);
        if (config is null) return exitCode;
        stdout.WriteLine("ok");
        return ExitCodes.Ok;
    }
}
