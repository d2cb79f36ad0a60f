using System.Diagnostics;

namespace LowRankTrainer.Cli.Tests;

/// <summary>How the CLI tests start <c>lrt</c> as a real process.</summary>
internal static class LrtCommand
{
    /// <summary>
    /// <c>env --default-signal=INT dotnet lrt.dll ARGS</c>, with stdout and stderr redirected. A test runner started in
    /// the background of a non-interactive shell (<c>cmd &amp;</c>, nohup) ignores SIGINT, and an ignored signal stays
    /// ignored across exec — lrt would then never see the Ctrl+C the signal tests send. env (coreutils) restores the
    /// default first and execs in place, so the pid is lrt's.
    /// </summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lrt.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }
}
