using System.Xml.Linq;
using LowRankTrainer.Config;
using LowRankTrainer.Experiments;
using LowRankTrainer.Runs;
using LowRankTrainer.Tests.Training;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Runs;

/// <summary>plots/loss.svg and plots/learning_rate.svg: one series per curve, one marker per logged point.</summary>
public sealed class RunPlotsTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Series name → the (x, y) of its markers, read back from the SVG's tooltips ("name: x = …, y = …").</summary>
    private static Dictionary<string, List<string>> Series(string svgFile) =>
        XDocument.Load(svgFile).Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series")
            .ToDictionary(g => (string)g.Attribute("data-name")!, g => g.Descendants(Svg + "title").Select(t => t.Value).ToList());

    private static string Title(string svgFile) => XDocument.Load(svgFile).Root!.Elements(Svg + "text").First().Value;

    [Fact]
    public void History_GivesLossAndEvalLoss_AndTheLearningRate()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lrt-plots-" + Guid.NewGuid().ToString("N"));
        try
        {
            MetricsEntry[] history =
            [
                new() { Step = 1, Loss = 2, LearningRate = 0.001 },
                new() { Step = 2, Loss = 1.5, LearningRate = 0.002 },
                new() { Split = "eval", Step = 2, EvalLoss = 1.25, EvalAccuracy = 0.5 },
                new() { Step = 3, Loss = 1, LearningRate = 0.0015 },
            ];
            var written = RunPlots.Write(dir, "demo", history);
            Assert.Equal([Path.Combine(dir, "plots", "loss.svg"), Path.Combine(dir, "plots", "learning_rate.svg")], written);

            var loss = Series(written[0]);
            Assert.Equal(["train loss", "eval loss"], loss.Keys);
            Assert.Equal(["train loss: x = 1, y = 2", "train loss: x = 2, y = 1.5", "train loss: x = 3, y = 1"], loss["train loss"]);
            Assert.Equal(["eval loss: x = 2, y = 1.25"], loss["eval loss"]);
            Assert.Equal("demo: loss", Title(written[0]));
            var lr = Series(written[1]);
            Assert.Equal(["learning rate: x = 1, y = 0.001", "learning rate: x = 2, y = 0.002", "learning rate: x = 3, y = 0.0015"], Assert.Single(lr).Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LogScale_OnlyWhenAskedFor_Positive_AndSpanningADecade()
    {
        Assert.True(RunPlots.Plot("t", "loss", [Losses((1, 5), (2, 0.5))], logWhenWide: true)!.LogY);
        Assert.False(RunPlots.Plot("t", "loss", [Losses((1, 5), (2, 0.5))], logWhenWide: false)!.LogY);
        Assert.False(RunPlots.Plot("t", "loss", [Losses((1, 5), (2, 0.6))], logWhenWide: true)!.LogY);
        Assert.False(RunPlots.Plot("t", "loss", [Losses((1, 5), (2, 0))], logWhenWide: true)!.LogY);
        Assert.Null(RunPlots.Plot("t", "loss", [new PlotSeries("empty", [])], logWhenWide: true));
    }

    private static PlotSeries Losses(params (long Step, double Loss)[] points) =>
        RunPlots.Series("train loss", points.Select(p => new MetricsEntry { Step = p.Step, Loss = p.Loss }), e => e.Loss);

    [Fact]
    public void NothingLogged_WritesNoPlot()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lrt-plots-" + Guid.NewGuid().ToString("N"));
        Assert.Empty(RunPlots.Write(dir, "demo", []));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void FinishedRun_HasBothPlots()
    {
        using var tiny = new TinyRun();
        var result = tiny.Run(tiny.Config());
        var loss = Series(Path.Combine(result.RunDirectory, "plots", "loss.svg"));
        Assert.Equal(20, loss["train loss"].Count);   // logging_steps 1
        Assert.Equal(4, loss["eval loss"].Count);     // eval every 5 steps
        var lrFile = Path.Combine(result.RunDirectory, "plots", "learning_rate.svg");
        Assert.Equal(20, Assert.Single(Series(lrFile)).Value.Count);
        // Warm-up to 1e-2 then linear decay spans decades, yet the learning rate stays on a linear axis.
        Assert.Contains(XDocument.Load(lrFile).Descendants(Svg + "text"), t => t.Value == "learning rate");
    }

    [Fact]
    public void CancelledRun_PlotsWhatItLogged()
    {
        using var tiny = new TinyRun();
        var result = tiny.RunUntil(tiny.Config() with { Checkpoint = new CheckpointConfig { SaveStrategy = "no" } }, 7);
        Assert.True(result.Cancelled);
        var loss = Series(Path.Combine(result.RunDirectory, "plots", "loss.svg"));
        Assert.Equal(7, loss["train loss"].Count);
        Assert.Single(loss["eval loss"]);   // the evaluation at step 5
    }
}
