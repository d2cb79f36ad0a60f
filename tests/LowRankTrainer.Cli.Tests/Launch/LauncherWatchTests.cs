using System.Diagnostics;
using LowRankTrainer.Cli.Launch;

namespace LowRankTrainer.Cli.Tests.Launch;

/// <summary>The child side of <c>--nproc</c>: a rank notices that its launcher is gone, once, and only then.</summary>
public class LauncherWatchTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void NoOrBadPid_WatchesNothing()
    {
        Assert.Null(LauncherWatch.Start(_ => null, () => { }));
        Assert.Null(LauncherWatch.Start(_ => "abc", () => { }));
        Assert.Null(LauncherWatch.Start(_ => "-5", () => { }));
    }

    [Fact]
    public void ALauncherThatDies_FiresTheCallbackOnce_AndOnlyAfterItDied()
    {
        // A stand-in launcher: any process we can kill.
        using var launcher = Process.Start("sleep", "60");
        var fired = 0;
        using var gone = new ManualResetEventSlim();
        using var watch = LauncherWatch.Start(name => name == LauncherWatch.Variable ? launcher.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            () =>
            {
                Interlocked.Increment(ref fired);
                gone.Set();
            }, Period);
        Assert.NotNull(watch);
        Assert.False(gone.Wait(Period * 10), "fired while the launcher was alive");

        launcher.Kill();
        launcher.WaitForExit();
        Assert.True(gone.Wait(TimeSpan.FromSeconds(10)), "did not notice that the launcher died");
        Thread.Sleep(Period * 5);
        Assert.Equal(1, fired);
    }
}
