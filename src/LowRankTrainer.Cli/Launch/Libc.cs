using System.Runtime.InteropServices;

namespace LowRankTrainer.Cli.Launch;

/// <summary>
/// The two POSIX calls the launcher needs and .NET does not offer: sending an arbitrary signal to a process
/// (<see cref="System.Diagnostics.Process.Kill()"/> only sends SIGKILL) and asking for the parent's pid.
/// </summary>
internal static partial class Libc
{
    /// <summary>SIGINT on Linux (Ctrl+C).</summary>
    public const int SigInt = 2;

    /// <summary>SIGKILL on Linux.</summary>
    public const int SigKill = 9;

    /// <summary>SIGTERM on Linux (what job schedulers send).</summary>
    public const int SigTerm = 15;

    private const int Esrch = 3;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it could not (the process is gone).</summary>
    public static bool Kill(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>
    /// True while <paramref name="pid"/> names a process (signal 0 probes without sending anything; EPERM means it
    /// exists but belongs to someone else). A zombie still counts; see <see cref="ParentPid"/> for a sharper test.
    /// </summary>
    public static bool Exists(int pid) => kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != Esrch;

    /// <summary>This process's parent; it changes (to init or a subreaper) the moment the parent dies.</summary>
    public static int ParentPid() => getppid();

    /// <summary>The Linux name of a signal number, e.g. 9 → SIGKILL; "signal N" for the rare ones.</summary>
    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => $"signal {signal}",
    };

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc.so.6")]
    private static partial int getppid();
}
