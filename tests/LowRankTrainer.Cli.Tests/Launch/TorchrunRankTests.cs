using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace LowRankTrainer.Cli.Tests.Launch;

/// <summary>
/// <c>lrt train</c> started as a rank by torchrun's variables, as a real process (they are read from the process
/// environment): a bad variable is a usage error naming it, and a rank whose group never forms fails in one line.
/// </summary>
public sealed class TorchrunRankTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lrt-rank-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string SyntheticTask() => Path.Combine(CliTestPaths.RepositoryRoot(), "configs", "recipes", "synthetic_linear", "task.yaml");

    private (int? Code, string Output) Train(Dictionary<string, string> environment, params string[] overrides)
    {
        using var lrt = new LrtProcess(_root, environment, ["train", SyntheticTask(), "data.synthetic_dim=8", $"train.output_dir={Path.Combine(_root, "runs")}", .. overrides]);
        var code = lrt.WaitForExit(TimeSpan.FromSeconds(60));
        output.WriteLine($"exit {code}\n{lrt.Output}");
        return (code, lrt.Output);
    }

    [Fact]
    public void ABadVariable_IsAUsageErrorNamingIt()
    {
        var (code, text) = Train(new() { ["WORLD_SIZE"] = "2", ["RANK"] = "2", ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = "29500" });
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("lrt train: RANK=2 is outside 0 … 1 (WORLD_SIZE=2)", text.Trim());
        Assert.False(Directory.Exists(Path.Combine(_root, "runs")));
    }

    [GlooFact]
    public void AGroupThatNeverForms_FailsTheJoinInOneLineWithinDdpTimeout()
    {
        // Rank 1 of 2 looking for a store nobody serves: a port that was free a moment ago.
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var environment = new Dictionary<string, string>
        {
            ["WORLD_SIZE"] = "2", ["RANK"] = "1", ["LOCAL_RANK"] = "1", ["MASTER_ADDR"] = "127.0.0.1",
            ["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        };
        var (code, text) = Train(environment, "train.ddp_timeout=2");
        Assert.Equal(ExitCodes.Failure, code);
        // One line of ours (libtorch's c10d may log lines of its own to stderr before it).
        var line = Assert.Single(text.Split('\n'), l => l.StartsWith("lrt ", StringComparison.Ordinal));
        Assert.StartsWith($"lrt train: rank 1 of 2 joining the c10d group at 127.0.0.1:{port} ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // no stack trace
        Assert.False(Directory.Exists(Path.Combine(_root, "runs")));
    }

    [Fact]
    public void WorldSizeOne_TrainsAsASingleProcess()
    {
        var (code, text) = Train(new() { ["WORLD_SIZE"] = "1", ["RANK"] = "0" }, "train.max_steps=2");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("success: 2 steps", text, StringComparison.Ordinal);
    }
}
