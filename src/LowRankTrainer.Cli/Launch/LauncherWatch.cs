using System.Globalization;

namespace LowRankTrainer.Cli.Launch;

/// <summary>
/// The child side of <c>lrt train --nproc</c>: a rank started by the launcher (LRT_LAUNCHER_PID set) checks once a second
/// that the launcher is still there. The ranks run in sessions of their own (so a terminal's Ctrl+C reaches only the
/// launcher), which also means nothing stops them when the launcher itself is SIGKILLed; without this watch they would
/// train on as orphans with nobody reading their output. When it is gone the watch fires the callback (the trainer's
/// cancellation), so every rank saves a checkpoint and stops at the same step, as on Ctrl+C.
/// </summary>
internal sealed class LauncherWatch : IDisposable
{
    /// <summary>The variable the launcher sets in its children's environment to its own pid.</summary>
    public const string Variable = "LRT_LAUNCHER_PID";

    private readonly int _launcher;
    private readonly int _parent;
    private readonly Action _onGone;
    private readonly Timer _timer;
    private int _fired;

    private LauncherWatch(int launcher, Action onGone, TimeSpan period)
    {
        _launcher = launcher;
        // The launcher normally is our parent (setsid execs in place); when it dies we are re-parented at once, even
        // while it is a zombie nobody has reaped yet, which kill(pid, 0) would still report as alive.
        _parent = Libc.ParentPid();
        _onGone = onGone;
        _timer = new Timer(_ => Check(), null, period, period);
    }

    /// <summary>
    /// Starts watching the launcher named by <see cref="Variable"/> in <paramref name="getVariable"/>; null (nothing to
    /// watch) when it is unset or not a pid. <paramref name="onGone"/> runs once, on a timer thread.
    /// </summary>
    public static LauncherWatch? Start(Func<string, string?> getVariable, Action onGone, TimeSpan? period = null)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        ArgumentNullException.ThrowIfNull(onGone);
        return int.TryParse(getVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? new LauncherWatch(pid, onGone, period ?? TimeSpan.FromSeconds(1))
            : null;
    }

    /// <summary>Stops watching.</summary>
    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        if (Libc.ParentPid() == _parent && Libc.Exists(_launcher)) return;
        if (Interlocked.Exchange(ref _fired, 1) != 0) return;
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        _onGone();
    }
}
