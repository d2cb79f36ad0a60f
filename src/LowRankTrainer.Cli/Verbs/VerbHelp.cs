namespace LowRankTrainer.Cli.Verbs;

/// <summary>The help convention of verbs that take a path first: no arguments prints the usage to stderr (exit 2), <c>--help</c>/<c>-h</c> to stdout (exit 0).</summary>
internal static class VerbHelp
{
    /// <summary>True when <paramref name="args"/> asked for help (or gave nothing); the usage is printed and <paramref name="exitCode"/> set.</summary>
    public static bool Handled(IReadOnlyList<string> args, string usage, TextWriter stdout, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        if (args.Count > 0 && args[0] is not ("--help" or "-h")) return false;
        (args.Count == 0 ? stderr : stdout).WriteLine(usage);
        exitCode = args.Count == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        return true;
    }
}
