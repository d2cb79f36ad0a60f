using LowRankTrainer.Experiments;
using static LowRankTrainer.Tests.Experiments.ExperimentTestRecords;

namespace LowRankTrainer.Tests.Experiments;

public sealed class ReportBuilderTests
{
    private static readonly RunFilter All = RunFilter.All;

    [Fact]
    public void SummaryTable_RowsAreKeyCombinations_CellsMeanAndSampleStdOverSeeds()
    {
        var records = new[]
        {
            Run("a", [("adapter.r", "2"), ("train.seed", "1")], ("eval_accuracy", 0.80), ("num_trainable_params", 10)),
            Run("a", [("adapter.r", "2"), ("train.seed", "2")], ("eval_accuracy", 0.90), ("num_trainable_params", 10)),
            Run("a", [("adapter.r", "4"), ("train.seed", "1")], ("eval_accuracy", 0.70), ("num_trainable_params", 20)),
        };
        var table = new ReportBuilder(records, new Dictionary<string, string> { ["a"] = "LoRA" }, new Dictionary<string, string> { ["adapter.r"] = "r" })
            .Table(new TableSpec("t", "T", All, ["group", "adapter.r"],
                [new ColumnSpec("num_trainable_params", "params", Digits: 0, Aggregate: "first"), new ColumnSpec("eval_accuracy", "acc %", 100, 2)]));
        Assert.Equal(["group", "r", "runs", "params", "acc %"], table.Header);
        // mean 85, sample std sqrt(((80-85)^2 + (90-85)^2) / 1) = 7.0711
        Assert.Equal(["LoRA", "2", "2", "10", "85.00 ± 7.07"], table.Rows[0]);
        Assert.Equal(["LoRA", "4", "1", "20", "70.00"], table.Rows[1]);
        Assert.Equal(85, table.Values[("LoRA / 2", "acc %")].Mean, 9);
        Assert.Equal(Math.Sqrt(50), table.Values[("LoRA / 2", "acc %")].Std, 9);
        Assert.Equal("85.00 ± 7.07", table.Cell("LoRA / 2", "acc %"));
        Assert.Contains("| LoRA | 2 | 2 | 10 | 85.00 ± 7.07 |", table.Markdown(), StringComparison.Ordinal);
    }

    [Fact]
    public void Best_PicksTheValueWithTheBestMeanPerRow_AndReportsOnlyItsRuns()
    {
        var records = new[]
        {
            Run("m", [("lr", "0.001"), ("seed", "1")], ("acc", 0.5)),
            Run("m", [("lr", "0.001"), ("seed", "2")], ("acc", 0.7)),
            Run("m", [("lr", "0.01"), ("seed", "1")], ("acc", 0.65)),
            Run("m", [("lr", "0.01"), ("seed", "2")], ("acc", 0.66)),
            Run("m", [("lr", "0.1"), ("seed", "1")], ("loss", 1.0)),
        };
        var table = new ReportBuilder(records).Table(new TableSpec("t", "T", All, ["group"], [new ColumnSpec("acc", "acc", 1, 3)], new BestSpec("lr", "acc", true)));
        Assert.Equal(["m", "0.01", "2", "0.655 ± 0.007"], table.Rows[0]);
        var lowest = new ReportBuilder(records).Table(new TableSpec("t", "T", All, ["group"], [new ColumnSpec("acc", "acc", 1, 3)], new BestSpec("lr", "acc", false)));
        Assert.Equal("0.001", lowest.Rows[0][1]);
    }

    [Fact]
    public void WildcardColumns_ExpandInNumericOrder()
    {
        var records = new[] { Run("m", [], ("acc_by_dim.16", 0.6), ("acc_by_dim.2", 0.2), ("acc_by_dim.8", 0.5)) };
        var table = new ReportBuilder(records).Table(new TableSpec("t", "T", All, ["group"], [new ColumnSpec("acc_by_dim.*", "d={}", 1, 1)]));
        Assert.Equal(["group", "runs", "d=2", "d=8", "d=16"], table.Header);
        Assert.Equal(["m", "1", "0.2", "0.5", "0.6"], table.Rows[0]);
    }

    [Fact]
    public void Filter_SelectsGroupsAndValues_AndSkipsUnsuccessfulRuns()
    {
        var failed = Run("a", [("r", "2")], ("acc", 0.1)) with { Status = "failed" };
        var records = new[] { Run("a", [("r", "2")], ("acc", 0.8)), Run("a", [("r", "4")], ("acc", 0.9)), Run("b", [("r", "2")], ("acc", 0.3)), failed };
        var filter = new RunFilter(["a"], new Dictionary<string, IReadOnlyList<string>> { ["r"] = ["2"] });
        var table = new ReportBuilder(records).Table(new TableSpec("t", "T", filter, ["group", "r"], [new ColumnSpec("acc", "acc", 1, 2)]));
        Assert.Equal(["a", "2", "1", "0.80"], Assert.Single(table.Rows));
    }

    [Fact]
    public void Threshold_IsTheSmallestXWhoseSeedMeanReachesTheFractionOfTheMatchingBaseline()
    {
        var records = new List<RunRecord>
        {
            Run("direct", [("w", "200"), ("seed", "1")], ("acc", 0.90)),
            Run("direct", [("w", "200"), ("seed", "2")], ("acc", 0.92)), // baseline mean 0.91 → target 0.819
            Run("direct", [("w", "400"), ("seed", "1")], ("acc", 0.50)), // another width: must not be used
        };
        double[][] accuracy = [[0.5, 0.6], [0.80, 0.83], [0.82, 0.83], [0.9, 0.9]]; // per d, per seed
        int[] ds = [100, 300, 500, 1000];
        for (var i = 0; i < ds.Length; i++)
        {
            for (var s = 0; s < 2; s++) records.Add(Run("sub", [("w", "200"), ("d", ds[i].ToString(System.Globalization.CultureInfo.InvariantCulture)), ("seed", (s + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))], ("acc", accuracy[i][s])));
        }
        var spec = new TableSpec("id", "ID", new RunFilter(["sub"], new Dictionary<string, IReadOnlyList<string>>()), ["w"], [], X: "d", Metric: "acc",
            Thresholds: [new ThresholdSpec("d90", null, ["direct"], 0.9, ["w"]), new ThresholdSpec("abs", 0.95, [], 1, [])], SeedKey: "seed");
        var table = new ReportBuilder(records).Table(spec);
        // d = 300: mean 0.815 < 0.819; d = 500: mean 0.825 ≥ 0.819. Seed 1 crosses at 500 (0.82), seed 2 at 300 (0.83).
        Assert.Equal("500 (target 0.819; per seed 500, 300)", table.Rows[0][2]);
        Assert.Equal(500, table.Values[("200", "d90")].Mean);
        Assert.Equal("> 1,000 (target 0.95; per seed > 1,000, > 1,000)", table.Rows[0][3]);
        Assert.False(table.Values.ContainsKey(("200", "abs")));
    }

    [Fact]
    public void Plot_GroupsSeriesAndPoints_WithStdErrorBars_AndReferenceLines()
    {
        var records = new[]
        {
            Run("lora", [("r", "2"), ("seed", "1")], ("acc", 0.6)),
            Run("lora", [("r", "2"), ("seed", "2")], ("acc", 0.8)),
            Run("lora", [("r", "8"), ("seed", "1")], ("acc", 0.9)),
            Run("xs", [("r", "2"), ("seed", "1")], ("acc", 0.4)),
            Run("full", [("seed", "1")], ("acc", 1.0)),
        };
        var spec = new PlotSpec("p", "P", new RunFilter(["lora", "xs"], new Dictionary<string, IReadOnlyList<string>>()), "r", "acc", ["group"], "r", "acc %",
            YScale: 100, References: [new ReferenceLineSpec("90 % of full", new RunFilter(["full"], new Dictionary<string, IReadOnlyList<string>>()), 0.9, null)]);
        var data = new ReportBuilder(records).Plot(spec);
        Assert.Equal(["lora", "xs"], data.Series.Select(s => s.Name));
        var lora = data.Series[0].Points;
        Assert.Equal(2, lora.Count);
        Assert.Equal(new PlotPoint(2, 70, Math.Sqrt(200)), lora[0] with { YError = lora[0].YError }, PlotPointComparer.Instance);
        Assert.Equal(90, lora[1].Y, 9);
        Assert.Equal(90, Assert.Single(data.References).Y, 9);
    }

    [Fact]
    public void Plot_WildcardY_PutsTheSuffixOnX()
    {
        var records = new[] { Run("mrl", [("seed", "1")], ("by_dim.2", 0.3), ("by_dim.8", 0.6)), Run("mrl", [("seed", "2")], ("by_dim.2", 0.5), ("by_dim.8", 0.6)) };
        var data = new ReportBuilder(records).Plot(new PlotSpec("p", "P", RunFilter.All, "*", "by_dim.*", ["group"], "d", "acc"));
        var points = Assert.Single(data.Series).Points;
        Assert.Equal([2.0, 8.0], points.Select(p => p.X));
        Assert.Equal(0.4, points[0].Y, 9);
        Assert.Equal(Math.Sqrt(0.02), points[0].YError, 9);
    }

    [Fact]
    public void PivotColumns_LineUpWithWildcardColumnsOfTheSameLabel()
    {
        var records = new[]
        {
            Run("mrl", [("seed", "1")], ("acc_by_dim.2", 0.3), ("acc_by_dim.8", 0.6)),
            Run("ff", [("h", "[256, 2]"), ("seed", "1")], ("acc", 0.35)),
            Run("ff", [("h", "[256, 2]"), ("seed", "2")], ("acc", 0.45)),
            Run("ff", [("h", "[256, 8]"), ("seed", "1")], ("acc", 0.7)),
        };
        var names = new Dictionary<string, string> { ["[256, 2]"] = "2", ["[256, 8]"] = "8" };
        var table = new ReportBuilder(records, names).Table(new TableSpec("t", "T", All, ["group"],
            [new ColumnSpec("acc_by_dim.*", "d={}", 1, 2), new ColumnSpec("acc", "d={}", 1, 2, Pivot: "h")]));
        Assert.Equal(["group", "runs", "d=2", "d=8"], table.Header);
        Assert.Equal(["mrl", "1", "0.30", "0.60"], table.Rows[0]);
        Assert.Equal(["ff", "3", "0.40 ± 0.07", "0.70"], table.Rows[1]);
    }

    [Fact]
    public void PlotLayers_AddLinesFromOtherRuns_WithDisplayNamesAsX()
    {
        var records = new[]
        {
            Run("mrl", [("seed", "1")], ("acc_by_dim.2", 0.3), ("acc_by_dim.8", 0.6)),
            Run("ff", [("h", "[256, 2]")], ("acc", 0.4)),
            Run("ff", [("h", "[256, 8]")], ("acc", 0.7)),
        };
        var names = new Dictionary<string, string> { ["[256, 2]"] = "2", ["[256, 8]"] = "8" };
        var spec = new PlotSpec("p", "P", new RunFilter(["mrl"], new Dictionary<string, IReadOnlyList<string>>()), "*", "acc_by_dim.*", ["group"], "d", "acc",
            Layers: [new PlotLayer(new RunFilter(["ff"], new Dictionary<string, IReadOnlyList<string>>()), "h", "acc", ["group"])]);
        var data = new ReportBuilder(records, names).Plot(spec);
        Assert.Equal(["mrl", "ff"], data.Series.Select(s => s.Name));
        Assert.Equal([(2.0, 0.4), (8.0, 0.7)], data.Series[1].Points.Select(p => (p.X, p.Y)));
    }

    private sealed class PlotPointComparer : IEqualityComparer<PlotPoint>
    {
        public static PlotPointComparer Instance { get; } = new();

        public bool Equals(PlotPoint a, PlotPoint b) => Math.Abs(a.X - b.X) < 1e-9 && Math.Abs(a.Y - b.Y) < 1e-9 && Math.Abs(a.YError - b.YError) < 1e-9;

        public int GetHashCode(PlotPoint p) => 0;
    }
}
