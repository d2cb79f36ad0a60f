using LowRankTrainer.Config;
using LowRankTrainer.Runs;
using LowRankTrainer.Runs.TensorBoard;

namespace LowRankTrainer.Tests.Config;

/// <summary><c>logging.report_to</c>: HF's list of metric sinks; here none and tensorboard.</summary>
public sealed class ReportToConfigTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Default_IsNoSink()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", "name: x\n"));
        Assert.Empty(config.Logging.ReportTo);
        Assert.Empty(MetricsSinks.Create(config.Logging, _files.Root));
        Assert.Contains("  report_to: []", ConfigWriter.Write(config).Split('\n'));
    }

    [Fact]
    public void TensorBoard_Loads_RoundTrips_AndCreatesItsSink()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", "logging:\n  report_to: [tensorboard]\n"));
        Assert.Equal(["tensorboard"], config.Logging.ReportTo);
        var text = ConfigWriter.Write(config);
        Assert.Contains("  report_to: [tensorboard]", text.Split('\n'));
        var back = ConfigTestFiles.Valid(_files.Write("resolved.yaml", text));
        Assert.Equal(config.Logging, back.Logging);   // value equality over the list
        Assert.NotEqual(config.Logging, back.Logging with { ReportTo = ["none"] });

        var sinks = MetricsSinks.Create(config.Logging, _files.Root);
        try
        {
            var sink = Assert.IsType<TensorBoardSink>(Assert.Single(sinks));
            Assert.Equal(Path.Combine(_files.Root, "tensorboard"), Path.GetDirectoryName(sink.FilePath));
        }
        finally
        {
            foreach (var s in sinks) s.Dispose();
        }
    }

    [Fact]
    public void Override_SetsTheList()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", "name: x\n"), "logging.report_to=[tensorboard]");
        Assert.Equal(["tensorboard"], config.Logging.ReportTo);
        Assert.True(ConfigKeys.IsList("logging.report_to"));
    }

    [Fact]
    public void UnknownSink_IsAnError_NamingTheItem_AndListingTheKnownOnes()
    {
        var path = _files.Write("a.yaml", "logging:\n  report_to: [tensorboard, wandb]\n");
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal(ConfigErrorCodes.InvalidChoice, d.Code);
        Assert.Equal("logging.report_to[1] must be one of none, tensorboard (got 'wandb')", d.Message);
        Assert.Equal(2, d.Location.Line);
    }

    [Fact]
    public void Misspelling_GetsADidYouMean()
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "logging:\n  report_to: [tensorbord]\n"));
        Assert.EndsWith("(got 'tensorbord'; did you mean 'tensorboard'?)", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void None_BesideASink_IsAConflict()
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "logging:\n  report_to: [none, tensorboard]\n"));
        Assert.Equal(ConfigErrorCodes.Conflict, d.Code);
        Assert.StartsWith("logging.report_to lists none (no sink) beside other sinks", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BareString_IsAWrongType_AskingForAList()
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "logging:\n  report_to: tensorboard\n"));
        Assert.Equal(ConfigErrorCodes.WrongType, d.Code);
        Assert.EndsWith("expected a list such as [a, b], got 'tensorboard'", d.Message, StringComparison.Ordinal);
    }
}
