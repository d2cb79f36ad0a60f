using System.Globalization;
using System.Xml.Linq;
using LowRankTrainer.Experiments;

namespace LowRankTrainer.Tests.Experiments;

public sealed class SvgLinePlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static PlotData Data(bool logX = false) => new("Accuracy <vs> d & more", "d", "acc %", logX, false,
        [
            new PlotSeries("FC, fastfood", [new PlotPoint(100, 60, 1), new PlotPoint(1000, 80, 0.5), new PlotPoint(300, 70, 0)]),
            new PlotSeries("LeNet", [new PlotPoint(100, 65, 0)]),
        ],
        [new PlotReference("90 % of direct", 78)]);

    [Fact]
    public void Render_IsWellFormedSvg_WithOneGroupPerSeries_AndTheLegend()
    {
        var doc = XDocument.Parse(SvgLinePlot.Render(Data()));
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        var series = doc.Root.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
        Assert.Equal(["FC, fastfood", "LeNet"], series.Select(g => (string)g.Attribute("data-name")!));
        Assert.Equal(3, series[0].Elements(Svg + "circle").Count());
        Assert.Single(series[0].Elements(Svg + "polyline"));
        Assert.Empty(series[1].Elements(Svg + "polyline"));
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("Accuracy <vs> d & more", texts);
        Assert.Contains("FC, fastfood", texts);
        Assert.Contains("90 % of direct", texts);
        Assert.Single(doc.Root.Elements(Svg + "g"), g => (string?)g.Attribute("class") == "reference");
    }

    [Fact]
    public void Render_MapsPointsMonotonically_XRightYUp_InXOrder()
    {
        var doc = XDocument.Parse(SvgLinePlot.Render(Data()));
        var line = doc.Descendants(Svg + "polyline").First();
        var pts = ((string)line.Attribute("points")!).Split(' ').Select(p => p.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(3, pts.Count);
        Assert.True(pts[0][0] < pts[1][0] && pts[1][0] < pts[2][0], "x increases left to right in x order (100, 300, 1000)");
        Assert.True(pts[0][1] > pts[1][1] && pts[1][1] > pts[2][1], "larger y is higher (smaller pixel y)");
        // Linear x: 300 lies at (300-100)/(1000-100) of the way from 100 to 1000.
        Assert.Equal(200.0 / 900, (pts[1][0] - pts[0][0]) / (pts[2][0] - pts[0][0]), 2);
    }

    [Fact]
    public void Render_LogX_SpacesDecadesEvenly_AndLabelsThem()
    {
        var doc = XDocument.Parse(SvgLinePlot.Render(Data(logX: true)));
        var pts = ((string)doc.Descendants(Svg + "polyline").First().Attribute("points")!).Split(' ')
            .Select(p => double.Parse(p.Split(',')[0], CultureInfo.InvariantCulture)).ToList();
        // log10: 300 sits at log10(3) ≈ 0.477 of the decade from 100 to 1000.
        Assert.Equal(Math.Log10(3), (pts[1] - pts[0]) / (pts[2] - pts[0]), 2);
        var labels = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("100", labels);
        Assert.Contains("1,000", labels);
    }

    [Fact]
    public void Render_RejectsNothingToDraw_AndNonPositiveValuesOnLogAxes()
    {
        Assert.Throws<ArgumentException>(() => SvgLinePlot.Render(new PlotData("t", "x", "y", false, false, [], [])));
        Assert.Throws<ArgumentException>(() => SvgLinePlot.Render(new PlotData("t", "x", "y", true, false, [new PlotSeries("s", [new PlotPoint(0, 1, 0)])], [])));
    }

    [Theory]
    [InlineData(0.7, 1.0)]
    [InlineData(1.3, 2.0)]
    [InlineData(3.0, 5.0)]
    [InlineData(7.0, 10.0)]
    [InlineData(0.013, 0.02)]
    public void NiceStep_RoundsUpToOneTwoFive(double raw, double expected) => Assert.Equal(expected, SvgLinePlot.Axis.NiceStep(raw), 12);
}
