using System.Globalization;
using LowRankTrainer.Cli.Verbs;
using LowRankTrainer.Runs;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary><c>lrt sweep</c> end to end on the quickstart config, a few steps per run on the real Fashion-MNIST files.</summary>
public sealed class SweepVerbTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "lrt-sweep-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
    }

    private static string Quickstart() => CliTestPaths.Quickstart();

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(SweepVerb.Run, args);

    [Fact]
    public void Sweep_TwoByOneGrid_RunsTwoRuns_AndCollectsTheirSummariesIntoOneTable()
    {
        var (code, output, err) = Run(Quickstart(), "train.max_steps=2", "eval.eval_strategy=steps", "eval.eval_steps=2",
                                      "checkpoint.save_strategy=no", "train.learning_rate=[1e-3,2e-3]", "train.seed=[7]", $"train.output_dir={_output}");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("sweep: 2 runs over train.learning_rate (2) × train.seed (1)", output, StringComparison.Ordinal);
        var sweepDir = Directory.GetDirectories(Path.Combine(_output, "quickstart-sweep")).Single();
        var csv = File.ReadAllLines(Path.Combine(sweepDir, "sweep.csv"));
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("train.learning_rate,train.seed,status,eval_accuracy,", csv[0], StringComparison.Ordinal);
        var expected = new[] { ("1e-3", "7"), ("2e-3", "7") };
        for (var i = 0; i < 2; i++)
        {
            var cells = csv[i + 1].Split(',');
            Assert.Equal(expected[i].Item1, cells[0]);
            Assert.Equal(expected[i].Item2, cells[1]);
            var runDir = cells[^1];
            var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(runDir, "summary.json")));
            Assert.Equal("success", summary.Status);
            Assert.Equal(2, summary.GlobalStep);
            Assert.Equal(summary.EvalAccuracy!.Value, double.Parse(cells[3], CultureInfo.InvariantCulture), 6);
            Assert.Contains($"train.learning_rate-{expected[i].Item1}_train.seed-{expected[i].Item2}", runDir, StringComparison.Ordinal);
            Assert.Contains($"seed: {expected[i].Item2}", File.ReadAllText(Path.Combine(runDir, "config.yaml")), StringComparison.Ordinal);
        }
        Assert.Contains("| train.learning_rate | train.seed | status |", File.ReadAllText(Path.Combine(sweepDir, "sweep.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_ARunThatFails_IsAFailedRow_TheOthersStillRun_AndTheExitCodeIsOne()
    {
        // A dense intrinsic projection over budget fails at injection (after validation); the second budget fits.
        var (code, output, err) = Run(Quickstart(), "train.max_steps=1", "eval.eval_strategy=no", "checkpoint.save_strategy=no",
                                      "adapter.method=intrinsic", "adapter.target_modules=all", "adapter.projection=dense", "adapter.d=2",
                                      "adapter.max_projection_mb=[0,16]", $"train.output_dir={_output}");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("run adapter.max_projection_mb-0 failed: adapter: adapter.max_projection_mb: a dense intrinsic projection", err, StringComparison.Ordinal);
        Assert.Contains("| 0 | failed |", output, StringComparison.Ordinal);
        Assert.Contains("| 16 | success |", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_ABadValueInAnyCombination_IsAConfigErrorBeforeAnyRunStarts()
    {
        var (code, _, err) = Run(Quickstart(), "train.seed=[1,2]", "train.learning_rate=[1e-3,fast]", $"train.output_dir={_output}");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("learning_rate", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public void SweepDryRun_ListsTheRuns()
    {
        var (code, output, err) = Run(Quickstart(), "--dry-run", "train.data_seed=[1]", "train.seed=[5,6]", $"train.output_dir={_output}");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("train.data_seed-1_train.seed-5", output, StringComparison.Ordinal);
        Assert.Contains("train.data_seed-1_train.seed-6", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_output));
    }
}
