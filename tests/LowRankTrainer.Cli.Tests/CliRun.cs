namespace LowRankTrainer.Cli.Tests;

/// <summary>Runs an <c>lrt</c> verb in-process with captured output, as the tests do.</summary>
internal static class CliRun
{
    /// <summary>A verb's entry point (<c>XVerb.Run</c>) or <see cref="CliApp.Run"/>.</summary>
    public delegate int Entry(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr);

    /// <summary>Runs <paramref name="entry"/> with <paramref name="args"/>; returns the exit code and what it printed.</summary>
    public static (int Code, string Out, string Err) Run(Entry entry, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = entry(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
