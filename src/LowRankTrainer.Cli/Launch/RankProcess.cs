using System.Diagnostics;
using System.Text;

namespace LowRankTrainer.Cli.Launch;

/// <summary>
/// One rank of <c>lrt train --nproc</c>: a child process in a session of its own, whose output is copied to the
/// launcher's (rank 0's unchanged, the others' line by line behind <c>[rank r] </c>).
/// </summary>
internal sealed class RankProcess : IDisposable
{
    // How long to wait, once a rank has exited, for the rest of its output; only a grandchild holding the pipe open
    // could make it longer, and the launcher must not hang on that.
    private static readonly TimeSpan OutputDrain = TimeSpan.FromSeconds(5);

    private readonly Process _process;

    private RankProcess(int rank, Process process, TextWriter stdout, TextWriter stderr)
    {
        Rank = rank;
        _process = process;
        Pid = process.Id;
        var pumps = process.StartInfo.RedirectStandardOutput
            ? new[] { Pump(process.StandardOutput, stdout), Pump(process.StandardError, stderr) }
            : [];
        Exited = WaitAsync(pumps);
    }

    /// <summary>The rank, 0 … world size − 1.</summary>
    public int Rank { get; }

    /// <summary>The child's pid (setsid execs in place, so this is lrt itself).</summary>
    public int Pid { get; }

    /// <summary>Completes with the exit code once the child has exited and its output has been copied.</summary>
    public Task<int> Exited { get; }

    /// <summary>
    /// Starts rank <paramref name="rank"/>: <c>setsid program args...</c> with <paramref name="environment"/> added to this
    /// process's environment. setsid puts it in a new session, out of the terminal's foreground process group, so a
    /// Ctrl+C reaches only the launcher, which forwards it once; otherwise every rank would get it twice, and the second
    /// SIGINT kills a rank before it has saved its checkpoint.
    /// </summary>
    /// <remarks>
    /// With <paramref name="toTerminal"/> (rank 0, when the launcher itself writes to a terminal) the child inherits the
    /// launcher's stdout and stderr, so it draws the same in-place progress line a single-process run does; otherwise
    /// its output is copied through a pipe to <paramref name="stdout"/> / <paramref name="stderr"/>.
    /// </remarks>
    public static RankProcess Start(int rank, string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment,
                                    TextWriter stdout, TextWriter stderr, bool toTerminal)
    {
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = !toTerminal,
            RedirectStandardError = !toTerminal,
            RedirectStandardInput = false,
            UseShellExecute = false,
            // .NET refuses an encoding for a stream it does not redirect.
            StandardOutputEncoding = toTerminal ? null : Encoding.UTF8,
            StandardErrorEncoding = toTerminal ? null : Encoding.UTF8,
        };
        info.ArgumentList.Add(program);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"setsid {program} did not start");
        return new RankProcess(rank, process, stdout, stderr);
    }

    /// <summary>Sends <paramref name="signal"/> to the child if it is still running; true when it was sent.</summary>
    public bool Signal(int signal) => !_process.HasExited && Libc.Kill(Pid, signal);

    /// <summary>True once the child has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// How a rank ended, for the launcher's report: "exited with code 1", or "was killed by SIGKILL". .NET reports a
    /// signal death as 128 + the signal, as shells do; lrt itself exits only with 0, 1, 2 or 130.
    /// </summary>
    public static string Describe(int exitCode) =>
        SignalOf(exitCode) is { } signal ? $"was killed by {Libc.SignalName(signal)}" : $"exited with code {exitCode}";

    /// <summary>The signal that killed a process with this exit code, or null when it exited by itself (130 reads as lrt's cancelled exit).</summary>
    public static int? SignalOf(int exitCode) => exitCode > 128 && exitCode != ExitCodes.Cancelled && exitCode < 128 + 65 ? exitCode - 128 : null;

    /// <summary>Releases the process handle (the child keeps running if it still is).</summary>
    public void Dispose() => _process.Dispose();

    private async Task<int> WaitAsync(Task[] pumps)
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(pumps), Task.Delay(OutputDrain)).ConfigureAwait(false);
        return _process.ExitCode;
    }

    // Rank 0 speaks for the run (its lines are what a single-process run prints), so its text passes through as it
    // comes; the other ranks print only when they fail, and their lines say whose they are.
    private Task Pump(StreamReader from, TextWriter to) => Rank == 0 ? Copy(from, to) : Prefix(from, to, $"[rank {Rank}] ");

    private static async Task Copy(StreamReader from, TextWriter to)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            to.Write(buffer, 0, n);
            to.Flush();
        }
    }

    private static async Task Prefix(StreamReader from, TextWriter to, string prefix)
    {
        while (await from.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            to.WriteLine(prefix + line);
            to.Flush();
        }
    }
}
