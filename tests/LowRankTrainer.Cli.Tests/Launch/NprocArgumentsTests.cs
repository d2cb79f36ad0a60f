using LowRankTrainer.Cli.Verbs;

namespace LowRankTrainer.Cli.Tests.Launch;

/// <summary>
/// <c>lrt train --nproc</c>'s arguments, in-process: usage errors name the flag; --nproc with --dry-run and --nproc 1 run
/// here without starting any rank.
/// </summary>
public sealed class NprocArgumentsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lrt-nproc-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string SyntheticTask() => Path.Combine(CliTestPaths.RepositoryRoot(), "configs", "recipes", "synthetic_linear", "task.yaml");

    [Theory]
    [InlineData("--nproc 0", "--nproc needs a number of processes ≥ 1, got '0'")]
    [InlineData("--nproc x", "--nproc needs a number of processes ≥ 1, got 'x'")]
    [InlineData("--nproc -1", "--nproc needs a number of processes ≥ 1, got '-1'")]
    [InlineData("--nproc=2.5", "--nproc needs a number of processes ≥ 1, got '2.5'")]
    [InlineData("--nproc", "--nproc needs a number of processes ≥ 1, got nothing")]
    [InlineData("--nproc --dry-run", "--nproc needs a number of processes ≥ 1, got '--dry-run'")]
    [InlineData("--nproc 2 --master-port 99999", "--master-port needs a TCP port (1 … 65535), got '99999'")]
    [InlineData("--nproc 2 --master-port", "--master-port needs a TCP port (1 … 65535), got nothing")]
    public void BadValues_AreUsageErrorsNamingTheFlag(string flags, string expected)
    {
        var (code, _, err) = CliRun.Run(TrainVerb.Run, [SyntheticTask(), .. flags.Split(' ')]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"lrt train: {expected}", err, StringComparison.Ordinal);
        Assert.Contains("--nproc N", err, StringComparison.Ordinal); // the usage text follows
    }

    [Fact]
    public void MasterPortWithoutNproc_IsAUsageError()
    {
        var (code, _, err) = CliRun.Run(TrainVerb.Run, SyntheticTask(), "--master-port", "29500");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--master-port", err, StringComparison.Ordinal);
        Assert.Contains("it needs --nproc", err, StringComparison.Ordinal);
    }

    [Fact]
    public void NprocWithDryRun_DryRunsOnceInProcess()
    {
        var (code, output, err) = CliRun.Run(TrainVerb.Run, SyntheticTask(), "--nproc", "4", "--dry-run", "data.synthetic_dim=8");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("config ok", output, StringComparison.Ordinal);
        Assert.DoesNotContain("rank", output, StringComparison.Ordinal);
    }

    [Fact]
    public void NprocOne_TrainsInProcess()
    {
        var (code, output, err) = CliRun.Run(TrainVerb.Run, SyntheticTask(), "--nproc=1", "data.synthetic_dim=8", "train.max_steps=2",
                                             $"train.output_dir={Path.Combine(_root, "runs")}");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.DoesNotContain("is pid", output, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(_root, "runs", "synthetic_linear_full")));
    }

    [Fact]
    public void Usage_DocumentsTheLauncherAndTorchrunsVariables()
    {
        foreach (var word in new[] { "--nproc N", "--master-port", "WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT" })
        {
            Assert.Contains(word, TrainVerb.Usage, StringComparison.Ordinal);
        }
    }
}
