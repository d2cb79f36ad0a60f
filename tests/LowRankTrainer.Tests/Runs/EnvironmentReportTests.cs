using System.Text.Json;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Runs;

public class EnvironmentReportTests
{
    [Fact]
    public void Capture_ReportsTheLoadedLibtorch()
    {
        var report = EnvironmentReport.Capture();
        var info = TorchRuntime.GetBuildInfo();
        Assert.Equal(info.TorchVersion, report.Torch.TorchVersion);
        Assert.Matches(@"^\d+\.\d+\.\d+", report.Torch.TorchVersion);
        Assert.Equal(Environment.ProcessorCount, report.ProcessorCount);
    }

    [Fact]
    public void ToJson_UsesSnakeCaseKeys_AndNestsTorchInfo()
    {
        using var doc = JsonDocument.Parse(EnvironmentReport.Capture().ToJson());
        var root = doc.RootElement;
        Assert.True(root.TryGetProperty("dotnet_version", out _));
        Assert.True(root.TryGetProperty("processor_count", out _));
        var torch = root.GetProperty("torch");
        Assert.True(torch.TryGetProperty("torch_version", out _));
        Assert.True(torch.TryGetProperty("cuda_available", out _));
        Assert.True(torch.TryGetProperty("intra_op_threads", out _));
    }
}
