using System.Text.Json;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

public class TrainerTests
{
    [Fact]
    public void Run_TinyBlobs_ReachesHighAccuracy()
    {
        using var tiny = new TinyRun();
        var result = tiny.Run(tiny.Config() with { Checkpoint = new CheckpointConfig { SaveStrategy = "no" } });
        Assert.Equal("success", result.Summary.Status);
        Assert.Equal(20, result.Summary.GlobalStep);
        Assert.True(result.Summary.EvalAccuracy > 0.95, $"accuracy {result.Summary.EvalAccuracy}");
        Assert.True(result.Summary.TrainLoss < 0.5, $"loss {result.Summary.TrainLoss}");
        Assert.Null(result.LastCheckpoint);
    }

    [Fact]
    public void Run_WritesEveryRunFile_WithValidJsonAndCsv()
    {
        using var tiny = new TinyRun();
        var result = tiny.Run(tiny.Config());
        var dir = result.RunDirectory;
        Assert.Equal(Path.Combine(tiny.Root, "runs", "tiny", "20260102-030405"), dir);
        Assert.Equal(TinyRun.Yaml, File.ReadAllText(Path.Combine(dir, "config.yaml")));
        using (var env = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "env.json"))))
        {
            Assert.True(env.RootElement.TryGetProperty("torch", out _));
        }
        var lines = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
        Assert.Equal(20 + 4, lines.Length); // a train event per step (logging_steps 1) + evals at 5, 10, 15, 20
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.True(doc.RootElement.TryGetProperty("step", out _));
        }
        var csv = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        Assert.Equal(MetricsLog.CsvHeader, csv[0]);
        Assert.Equal(lines.Length + 1, csv.Length);
        Assert.All(csv, row => Assert.Equal(11, row.Split(',').Length));

        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.Equal("success", summary.Status);
        Assert.Equal((16 * 32) + 32 + (32 * 4) + 4, summary.NumTotalParams);
        Assert.Equal(summary.NumTotalParams, summary.NumTrainableParams);
        Assert.NotNull(summary.EvalLoss);
        Assert.True(File.Exists(Path.Combine(dir, "final", "model.safetensors")));

        var checkpoint = Path.Combine(dir, "checkpoints", "step-000010");
        foreach (var f in new[] { "model.safetensors", "optimizer.safetensors", "optimizer.json", "scheduler.json", "rng_state.safetensors", "trainer_state.json" })
        {
            Assert.True(File.Exists(Path.Combine(checkpoint, f)), f);
        }
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, "trainer_state.json")));
        var root = state.RootElement;
        Assert.Equal(10, root.GetProperty("global_step").GetInt64());
        Assert.Equal(1.25, root.GetProperty("epoch").GetDouble()); // 10 steps × 2 micro-batches = 20 of 16 batches per epoch
        Assert.Equal(JsonValueKind.Null, root.GetProperty("best_metric").ValueKind);
        Assert.Equal(12, root.GetProperty("log_history").GetArrayLength()); // 10 train + 2 eval events
        var cursor = DataCursor.FromJson(root.GetProperty("data_cursor").GetRawText());
        Assert.Equal((1L, 4L), (cursor.Epoch, cursor.BatchIndex));
        using var opt = SafetensorsFile.Open(Path.Combine(checkpoint, "optimizer.safetensors"));
        Assert.Contains("state.0.exp_avg", opt.Names);
        Assert.Contains("state.3.step", opt.Names);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir, "checkpoints"), ".tmp-*"));
    }

    [Fact]
    public void SaveTotalLimit_KeepsOnlyTheNewestCheckpoints()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with { Checkpoint = new CheckpointConfig { SaveSteps = 4, SaveTotalLimit = 2 } };
        var result = tiny.Run(config);
        var names = Directory.GetDirectories(Path.Combine(result.RunDirectory, "checkpoints")).Select(d => Path.GetFileName(d)!).Order().ToArray();
        Assert.Equal(["step-000016", "step-000020"], names);
    }

    [Fact]
    public void ResumeAuto_PicksTheLatestCheckpointOfTheNewestRunFolder()
    {
        using var tiny = new TinyRun();
        var first = tiny.Run(tiny.Config() with { Checkpoint = new CheckpointConfig { SaveSteps = 5 } });
        // Same clock second: the second run folder gets the "-1" suffix and counts as newer.
        var second = tiny.RunUntil(tiny.Config() with { Checkpoint = new CheckpointConfig { SaveSteps = 100 } }, 3);
        Assert.True(second.Cancelled);
        Assert.EndsWith("-1", second.RunDirectory, StringComparison.Ordinal);
        var latest = RunFolder.FindLatestCheckpoint(tiny.Config().Train.OutputDir, "tiny");
        Assert.Equal(Path.Combine(second.RunDirectory, "checkpoints", "step-000003"), latest);

        var resumed = tiny.Run(tiny.Config() with { Train = tiny.Config().Train with { ResumeFromCheckpoint = "auto" } });
        Assert.Equal(latest, resumed.Summary.ResumedFrom);
        Assert.Equal(20, resumed.Summary.GlobalStep);
        Assert.NotEqual(first.RunDirectory, resumed.RunDirectory);
    }

    [Fact]
    public void FrozenBase_TrainsOnlyTheHead_AndCheckpointsOnlyIt()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with
        {
            Model = tiny.Config().Model with { Dropout = 0 },
            Adapter = new AdapterConfig { ModulesToSave = ["layers.2"] },
        };
        var result = tiny.Run(config);
        Assert.Equal((32 * 4) + 4, result.Summary.NumTrainableParams);

        using var g = new Generator(7);
        using var initial = ModelFactory.Create(config.Model, g, 16);
        using var before = initial.StateDict();
        var after = TinyRun.Weights(Path.Combine(result.RunDirectory, "final"));
        var saved = TinyRun.Weights(Path.Combine(result.RunDirectory, "checkpoints", "step-000010"));
        try
        {
            Assert.Equal(["layers.2.weight", "layers.2.bias"], after.Keys.Order().Reverse().ToArray());
            Assert.Equal(after.Keys.Order(), saved.Keys.Order());
            Assert.False(before["layers.2.weight"].ValueEquals(after["layers.2.weight"]));
            // The frozen base: rebuild the run's model, load the head, and compare the rest bit for bit.
            using var g2 = new Generator(7);
            using var trained = ModelFactory.Create(config.Model, g2, 16);
            trained.LoadStateDict(after, strict: false);
            using var state = trained.StateDict();
            Assert.True(before["layers.0.weight"].ValueEquals(state["layers.0.weight"]));
            Assert.True(before["layers.0.bias"].ValueEquals(state["layers.0.bias"]));
        }
        finally
        {
            TinyRun.Free(after);
            TinyRun.Free(saved);
        }
    }

    [Fact]
    public void ModulesToSave_UnknownName_ListsTheModelsModules()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with { Adapter = new AdapterConfig { ModulesToSave = ["classifier"] } };
        var e = Assert.Throws<ArgumentException>(() => tiny.Run(config));
        Assert.Contains("'classifier'", e.Message, StringComparison.Ordinal);
        Assert.Contains("layers, layers.0, layers.1, layers.2, layers.3", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(config.Train.OutputDir)); // no run folder for a config error
    }

    [Fact]
    public void NonFiniteLoss_StopsWithAClearError_AndRecordsTheFailure()
    {
        using var tiny = new TinyRun();
        using var scope = new DisposeScope();
        var x = tiny.Train.Inputs.Clone();
        x.Fill_(double.NaN);
        using var bad = new TensorDataset(x, tiny.Train.Targets.Clone());
        var e = Assert.Throws<NonFiniteLossException>(() => tiny.Run(tiny.Config(), train: bad));
        Assert.Equal(1, e.Step);
        Assert.Contains("training loss is NaN at step 1", e.Message, StringComparison.Ordinal);
        var run = Directory.GetDirectories(Path.Combine(tiny.Config().Train.OutputDir, "tiny")).Single();
        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("failed", summary.Status);
        Assert.Equal(e.Message, summary.ErrorMsg);
    }

    [Fact]
    public void Resume_FullRunFromAHeadOnlyCheckpoint_SaysWhatIsMissing()
    {
        using var tiny = new TinyRun();
        var headOnly = tiny.RunUntil(tiny.Config() with { Adapter = new AdapterConfig { ModulesToSave = ["layers.3"] } }, 10);
        var e = Assert.Throws<InvalidDataException>(() =>
            tiny.Run(tiny.Config() with { Train = tiny.Config().Train with { ResumeFromCheckpoint = headOnly.LastCheckpoint } }));
        Assert.Contains("lacks trainable tensors layers.0.weight, layers.0.bias", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_FrozenBaseWithAnotherSeed_IsRefused()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with { Adapter = new AdapterConfig { ModulesToSave = ["layers.3"] } };
        var first = tiny.RunUntil(config, 10);
        var e = Assert.Throws<ArgumentException>(() =>
            tiny.Run(config with { Train = config.Train with { Seed = 8, ResumeFromCheckpoint = first.LastCheckpoint } }));
        Assert.Contains("initialised with train.seed 7", e.Message, StringComparison.Ordinal);
    }
}
