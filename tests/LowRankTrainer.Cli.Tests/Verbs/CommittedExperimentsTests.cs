using System.Xml.Linq;
using LowRankTrainer.Cli.Verbs;
using LowRankTrainer.Experiments;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary>
/// Every committed experiment (experiments/*/experiment.yaml) runs its quick grid through <c>lrt reproduce --quick</c>
/// (issue 8: all together under 5 minutes on the CI machine), producing every table and a valid SVG for every plot
/// with one series per expected line; and its committed full results, when present, rebuild the same tables.
/// </summary>
public sealed class CommittedExperimentsTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly string _out = Path.Combine(Path.GetTempPath(), "lrt-quick-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    public static TheoryData<string> Experiments()
    {
        var data = new TheoryData<string>();
        foreach (var name in ExperimentLocator.List(Path.Combine(CliTestPaths.RepositoryRoot(), "experiments"))) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Experiments))]
    public void QuickReproduce_RunsEveryGroup_AndWritesEveryTableAndPlot(string name)
    {
        var folder = Path.Combine(CliTestPaths.RepositoryRoot(), "experiments", name);
        var manifest = ManifestReader.Read(folder);
        var (code, stdout, stderr) = CliRun.Run(ReproduceVerb.Run, folder, "--quick", "--out", _out);
        Assert.True(code == ExitCodes.Ok, stderr + stdout);

        var plan = PlannedRun.Plan(manifest, quick: true);
        foreach (var run in plan) Assert.True(File.Exists(Path.Combine(_out, "results", run.Group.Name, run.Name, "summary.json")), $"{run.Group.Name}/{run.Name}");
        var results = File.ReadAllText(Path.Combine(_out, "results.md"));
        foreach (var table in manifest.Tables) Assert.Contains("### " + table.Title, results, StringComparison.Ordinal);
        Assert.DoesNotContain("(no runs)", results, StringComparison.Ordinal);
        foreach (var plot in manifest.Plots)
        {
            var svg = XDocument.Load(Path.Combine(_out, "plots", plot.Name + ".svg"));
            var series = svg.Root!.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
            Assert.NotEmpty(series);
            Assert.All(series, s => Assert.NotEmpty(s.Elements(Svg + "circle")));
        }
    }

    [Theory]
    [MemberData(nameof(Experiments))]
    public void CommittedResults_NameTheirCommandAndRevision(string name)
    {
        var results = Path.Combine(CliTestPaths.RepositoryRoot(), "experiments", name, "results");
        if (!Directory.Exists(results)) return;   // full results not committed yet: nothing to check
        var provenance = Directory.EnumerateFiles(results, ExperimentRunner.ProvenanceFile, SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(provenance);
        foreach (var file in provenance)
        {
            var text = File.ReadAllText(file);
            Assert.Contains($"\"command\": \"lrt reproduce {name}\"", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"revision\": \"unknown\"", text, StringComparison.Ordinal);
        }
    }
}
