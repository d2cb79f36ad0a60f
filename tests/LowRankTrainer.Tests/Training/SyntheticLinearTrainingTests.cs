using System.Text.Json.Nodes;
using LowRankTrainer.Config;
using LowRankTrainer.Runs;
using LowRankTrainer.Tests.Config;
using LowRankTrainer.Training;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// The RandLoRA claim (Albert et al., ICLR 2025; METHODS.md §9 item 4(i)) through the config system: the shipped
/// recipes configs/recipes/synthetic_linear/{lora,randlora}.yaml, shrunk to d = 32 and 300 full-batch Adam steps (lr 1e-2)
/// on the orthogonal target (flat spectrum: every rank-k floor is (d − k)/d). LoRA r = 4 (256 parameters) converges
/// onto its Eckart–Young floor 28/32; RandLoRA with base rank 5 (n = ⌈32/5⌉ = 7 bases, 5·7 + 7·32 = 259 parameters)
/// learns a full-rank update and ends below that floor.
/// </summary>
public sealed class SyntheticLinearTrainingTests(ITestOutputHelper output) : IDisposable
{
    private const int D = 32;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lrt-synthetic-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Also DirectoryNotFoundException: a test that failed before its first run wrote nothing.
        }
    }

    private TrainResult Run(string recipe, params string[] overrides)
    {
        var path = Path.Combine(ConfigTestFiles.RepoRoot(), "configs", "recipes", "synthetic_linear", recipe);
        string[] small = ["data.synthetic_dim=32", "train.max_steps=300", "train.per_device_train_batch_size=32", "eval.eval_steps=300",
                          $"train.output_dir={Path.Combine(_root, "runs")}"];
        var loaded = ConfigLoader.Load(path, [.. small, .. overrides]);
        Assert.True(loaded.Success, string.Join("\n", loaded.Diagnostics));
        return new Trainer(loaded.Config!, ConfigWriter.Write(loaded.Config!), TextWriter.Null, new TrainerOptions { Interactive = false }).Run();
    }

    [Fact]
    public void LoraSitsOnItsRankFloor_RandLoraWithAsManyParametersEndsBelowIt()
    {
        var lora = Run("lora.yaml").Summary;
        var rand = Run("randlora.yaml", "adapter.r=5", "adapter.randlora_alpha=5").Summary;
        var floor = (D - 4) / (double)D;
        output.WriteLine($"lora r=4:     {lora.NumTrainableParams} params, eval {lora.EvalLoss:F5}, rank {lora.EvalMetrics!["effective_rank"]}, floor {lora.EvalMetrics["rank_floor"]:F5}");
        output.WriteLine($"randlora r=5: {rand.NumTrainableParams} params, eval {rand.EvalLoss:F5}, rank {rand.EvalMetrics!["effective_rank"]}");

        Assert.Equal((2 * D * 4, (5 * 7) + (7 * D)), (lora.NumTrainableParams, rand.NumTrainableParams));
        Assert.Equal(4, lora.EvalMetrics["effective_rank"]);
        Assert.Equal(floor, lora.EvalMetrics["rank_floor"], 1e-9);
        Assert.True(Math.Abs(lora.EvalLoss!.Value - floor) <= 0.01 * floor, $"LoRA {lora.EvalLoss:F5} should end within 1% of its floor {floor:F5}");
        Assert.True(lora.EvalLoss >= floor - 1e-5, "no rank-4 map beats Eckart–Young");

        Assert.Equal(D, rand.EvalMetrics["effective_rank"]);
        Assert.True(rand.EvalLoss < floor, $"RandLoRA {rand.EvalLoss:F5} should end below LoRA's floor {floor:F5}");
    }

    [Fact]
    public void TheRunFolder_CarriesEvalMetrics_InSummaryAndTheFinalEvalRecord()
    {
        var result = Run("lora.yaml", "train.max_steps=20", "eval.eval_steps=10");
        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(result.RunDirectory, "summary.json")));
        Assert.Equal(result.Summary.EvalMetrics, summary.EvalMetrics);
        var lines = File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var evals = lines.Where(l => (string?)l["split"] == "eval").ToList();
        Assert.Equal([10L, 20L], evals.Select(e => (long)e["step"]!));
        var last = evals[^1]["eval_metrics"]!.AsObject();
        Assert.Equal(summary.EvalMetrics!["effective_rank"], (double)last["effective_rank"]!);
        Assert.Equal(summary.EvalMetrics["rank_floor"], (double)last["rank_floor"]!);
        Assert.All(lines.Where(l => (string?)l["split"] == "train"), l => Assert.Null(l["eval_metrics"]));
    }

    [Fact]
    public void OtherTasks_HaveNoEvalMetrics()
    {
        using var tiny = new TinyRun();
        var result = tiny.Run(tiny.Config() with { Checkpoint = new CheckpointConfig { SaveStrategy = "no" } });
        Assert.Null(result.Summary.EvalMetrics);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "summary.json")))!.AsObject();
        Assert.True(json.ContainsKey("eval_metrics"));
        Assert.Null(json["eval_metrics"]);
    }
}
