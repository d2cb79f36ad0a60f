using LowRankTrainer.Cli.Launch;

namespace LowRankTrainer.Cli.Tests.Launch;

/// <summary>How many intra-op threads <c>lrt train --nproc N</c> gives each rank when nobody chose.</summary>
public class ThreadsPerRankTests
{
    [Theory]
    [InlineData(2, 2, 1)]
    [InlineData(16, 4, 4)]
    [InlineData(16, 3, 5)]
    [InlineData(2, 4, 1)] // more ranks than cores: still one thread each
    public void TheCoresAreSharedOut(int cores, int nproc, int expected) =>
        Assert.Equal(expected, LocalLauncher.ThreadsPerRank(_ => null, cores, nproc));

    [Fact]
    public void LrtNumThreadsSet_PassesThroughUntouched() =>
        Assert.Null(LocalLauncher.ThreadsPerRank(name => name == LocalLauncher.ThreadsVariable ? "3" : null, 16, 2));
}
