using System.Xml.Linq;
using LowRankTrainer.Cli.Verbs;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary><c>lrt report</c> over hand-written run folders: rows by differing keys, seeds as repeats, the plot.</summary>
public sealed class ReportVerbTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lrt-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private void WriteRun(string method, int d, int seed, double accuracy)
    {
        var dir = Path.Combine(_root, "sweep", $"{method}-{d}-{seed}", "20261122-000000");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "summary.json"), $$"""{"status": "success", "run_name": "r", "eval_accuracy": {{accuracy.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "num_trainable_params": {{d}}}""");
        File.WriteAllText(Path.Combine(dir, "config.yaml"), $"name: x\nadapter:\n  method: {method}\n  d: {d}\ntrain:\n  seed: {seed}\n  output_dir: /somewhere/{seed}\n");
        Directory.CreateDirectory(Path.Combine(dir, "final"));
        File.WriteAllText(Path.Combine(dir, "final", "summary.json"), "{}");   // not a run
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(ReportVerb.Run, args);

    [Fact]
    public void Report_GroupsByDifferingKeys_SeedsAreRepeats_AndPlotsAgainstTheNumericKey()
    {
        foreach (var (d, acc) in new[] { (100, 0.5), (300, 0.6), (1000, 0.7) })
        {
            WriteRun("intrinsic", d, 1, acc);
            WriteRun("intrinsic", d, 2, acc + 0.02);
        }
        var outDir = Path.Combine(_root, "out");
        var (code, output, err) = Run(Path.Combine(_root, "sweep"), "--out", outDir);
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("6 run(s)", output, StringComparison.Ordinal);
        Assert.Contains("| adapter.d | runs | trainable params | eval accuracy % |", output, StringComparison.Ordinal);
        Assert.Contains("| 300 | 2 | 300 | 61.00 ± 1.41 |", output, StringComparison.Ordinal);
        var svg = XDocument.Load(Path.Combine(outDir, "plots", "runs.svg"));
        var series = Assert.Single(svg.Root!.Elements(Svg + "g"), g => (string?)g.Attribute("class") == "series");
        Assert.Equal(3, series.Elements(Svg + "circle").Count());
        Assert.Contains("![", File.ReadAllText(Path.Combine(outDir, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Report_NoRuns_OrUnknownOption_FailsClearly()
    {
        Directory.CreateDirectory(_root);
        var (code, _, err) = Run(_root);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("no successful runs", err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, Run(_root, "--bogus").Code);
    }
}
