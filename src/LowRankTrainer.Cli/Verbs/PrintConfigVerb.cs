using LowRankTrainer.Config;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt print-config &lt;config.yaml&gt; [a.b=value ...]</c>: prints the fully resolved config
/// (base: and overrides applied, every default filled in) as YAML that is itself a valid config.
/// </summary>
public static class PrintConfigVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt print-config <config.yaml> [section.key=value ...]

        Prints the resolved config (base: inheritance and overrides applied, every default filled
        in) as YAML; the output is itself a valid config and is what each run saves as config.yaml.
        exit codes: 0 printed, 2 errors in the config or the command line
        """;

    /// <summary>Runs the verb on the arguments that follow <c>print-config</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var config = ConfigVerbArgs.Load("print-config", Usage, args, stdout, stderr, out var exitCode);
        if (config is null) return exitCode;
        stdout.Write(ConfigWriter.Write(config));
        return ExitCodes.Ok;
    }
}
