using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Config;
using LowRankTrainer.Tests.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// The non-finite watchdog (<c>train.on_nonfinite</c>): a NaN planted in one training sample makes the loss of a known
/// step NaN (no shuffling: step k reads samples 32(k−1) … 32k−1 of the 256, modulo an epoch).
/// </summary>
public class NonFiniteWatchdogTests
{
    // Sample 100 is read by step 4 (samples 96–127), and again by steps 12 and 20 (epochs 2 and 3).
    private const int PoisonedSample = 100;

    private static ExperimentConfig Unshuffled(TinyRun tiny, string policy, int saveSteps) => tiny.Config() with
    {
        Data = new DataConfig { Shuffle = false },
        Train = tiny.Config().Train with { OnNonfinite = policy, MaxGradNorm = 0 },
        Checkpoint = new CheckpointConfig { SaveStrategy = "steps", SaveSteps = saveSteps },
    };

    private static TensorDataset Poisoned(TensorDataset train, Func<int, bool> poisoned)
    {
        var x = train.Inputs.ToArray<float>();
        var width = (int)train.Inputs.Size(1);
        for (var i = 0; i < train.Count; i++)
        {
            if (poisoned(i)) x[(i * width) + 3] = float.NaN;
        }
        return new TensorDataset(Tensor.From<float>(x, [train.Count, width]), train.Targets.Clone());
    }

    [Fact]
    public void Stop_NamesTheStepAndKeepsTheLastGoodCheckpoint()
    {
        using var tiny = new TinyRun();
        using var poisoned = Poisoned(tiny.Train, i => i == PoisonedSample);
        var config = Unshuffled(tiny, "stop", saveSteps: 2);
        var e = Assert.Throws<NonFiniteLossException>(() => tiny.Run(config, train: poisoned));
        Assert.Equal(4, e.Step);
        Assert.True(double.IsNaN(e.Value));
        Assert.Contains("the training loss is NaN at step 4 (micro-batch 1 of 2", e.Message, StringComparison.Ordinal);
        var runDir = Directory.GetDirectories(Path.Combine(tiny.Root, "runs", "tiny")).Single();
        var kept = Path.Combine(runDir, "checkpoints", TrainingCheckpoint.FolderName(2));
        Assert.Contains($"the last good checkpoint, {kept}, is kept", e.Message, StringComparison.Ordinal);
        Assert.Equal([kept], TrainingCheckpoint.List(Path.Combine(runDir, "checkpoints")));
        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(runDir, "summary.json")));
        Assert.Equal("failed", summary.Status);
        Assert.Equal(3, summary.GlobalStep);
        Assert.Equal(e.Message, summary.ErrorMsg);
    }

    [Fact]
    public void SkipStep_LeavesWeightsAndScheduleUntouched_AndFinishes()
    {
        using var tiny = new TinyRun();
        using var poisoned = Poisoned(tiny.Train, i => i == PoisonedSample);
        var result = tiny.Run(Unshuffled(tiny, "skip_step", saveSteps: 1), train: poisoned);
        Assert.Equal("success", result.Summary.Status);
        Assert.Equal(20, result.Summary.GlobalStep);
        Assert.Equal(3, result.Summary.SkippedSteps); // steps 4, 12 and 20

        var checkpoints = Path.Combine(result.RunDirectory, "checkpoints");
        var before = TinyRun.Weights(Path.Combine(checkpoints, TrainingCheckpoint.FolderName(3)));
        var skipped = TinyRun.Weights(Path.Combine(checkpoints, TrainingCheckpoint.FolderName(4)));
        var after = TinyRun.Weights(Path.Combine(checkpoints, TrainingCheckpoint.FolderName(5)));
        try
        {
            foreach (var (name, w) in before)
            {
                Assert.True(w.ValueEquals(skipped[name]), $"{name} changed in the skipped step 4");
                Assert.False(w.ValueEquals(after[name]), $"{name} did not change in step 5");
            }
            foreach (var w in TinyRun.Weights(Path.Combine(result.RunDirectory, "final")).Values)
            {
                using (w) Assert.True(w.IsFinite().All().ToBoolean());
            }
        }
        finally
        {
            TinyRun.Free(before);
            TinyRun.Free(skipped);
            TinyRun.Free(after);
        }
        // The schedule did not step either: step 5 starts at step 4's learning rate, while every other step moves it.
        var lr = File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("learning_rate", out _))
            .ToDictionary(e => e.GetProperty("step").GetInt64(), e => e.GetProperty("learning_rate").GetDouble());
        Assert.Equal(lr[4], lr[5]);
        Assert.NotEqual(lr[5], lr[6]);
        Assert.NotEqual(lr[3], lr[4]);
    }

    [Fact]
    public void SkipStep_StopsAfterMaxSkippedStepsInARow()
    {
        using var tiny = new TinyRun();
        using var poisoned = Poisoned(tiny.Train, _ => true);
        var config = Unshuffled(tiny, "skip_step", saveSteps: 100);
        config = config with { Train = config.Train with { MaxSkippedSteps = 2 } };
        var e = Assert.Throws<NonFiniteLossException>(() => tiny.Run(config, train: poisoned));
        Assert.Equal(3, e.Step);
        Assert.Contains("2 steps in a row were already skipped (train.max_skipped_steps 2)", e.Message, StringComparison.Ordinal);
        Assert.Contains("no checkpoint was saved before it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SkipStep_TheCountIsSavedInTheCheckpoint_AndAResumedRunCountsOnFromIt()
    {
        using var tiny = new TinyRun();
        using var poisoned = Poisoned(tiny.Train, i => i == PoisonedSample);
        var config = Unshuffled(tiny, "skip_step", saveSteps: 10);
        var straight = tiny.Run(In(config, "a"), train: poisoned);
        var stopped = tiny.RunUntil(In(config, "b"), 10, poisoned);
        var checkpoint = Path.Combine(stopped.RunDirectory, "checkpoints", TrainingCheckpoint.FolderName(10));
        var saved = State(checkpoint);
        Assert.True(saved.SkippedSteps > 0, "no step before the checkpoint was skipped: the test would not test the resume");
        Assert.Equal(stopped.Summary.SkippedSteps, saved.SkippedSteps);
        Assert.Equal(0, saved.ConsecutiveSkippedSteps); // the steps right before it ran the optimizer

        var resumed = tiny.Run(In(config, "c") with { Train = In(config, "c").Train with { ResumeFromCheckpoint = checkpoint } }, train: poisoned);
        Assert.True(straight.Summary.SkippedSteps > saved.SkippedSteps, "no step after the checkpoint was skipped");
        Assert.Equal(straight.Summary.SkippedSteps, resumed.Summary.SkippedSteps);
        // The console lines of the steps skipped after the checkpoint count as the unbroken run's do.
        Assert.Equal(SkipLines(straight.RunDirectory).Where(l => l.Step > 10), SkipLines(resumed.RunDirectory));

        // A checkpoint written before the count was saved reads as none skipped: only the resumed run's own skips count.
        var statePath = Path.Combine(checkpoint, TrainingCheckpoint.StateFile);
        var json = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        Assert.True(json.Remove("skipped_steps") && json.Remove("consecutive_skipped_steps"));
        File.WriteAllText(statePath, json.ToJsonString());
        var fromOld = tiny.Run(In(config, "d") with { Train = In(config, "d").Train with { ResumeFromCheckpoint = checkpoint } }, train: poisoned);
        Assert.Equal(straight.Summary.SkippedSteps - saved.SkippedSteps, fromOld.Summary.SkippedSteps);
    }

    [Fact]
    public void SkipStep_MaxSkippedStepsInARow_CountsAcrossAResume()
    {
        using var tiny = new TinyRun();
        using var poisoned = Poisoned(tiny.Train, _ => true);
        var config = Unshuffled(tiny, "skip_step", saveSteps: 1);
        config = config with { Train = config.Train with { MaxSkippedSteps = 2 } };
        var unbroken = Assert.Throws<NonFiniteLossException>(() => tiny.Run(In(config, "a"), train: poisoned));
        var checkpoints = Path.Combine(Directory.GetDirectories(Path.Combine(tiny.Root, "a", "tiny")).Single(), "checkpoints");
        var saved = TrainingCheckpoint.List(checkpoints);
        Assert.Equal(unbroken.Step - 1, saved.Count); // every step before the failing one was skipped and saved
        foreach (var checkpoint in saved)
        {
            var step = TrainingCheckpoint.StepOf(checkpoint)!.Value;
            var state = State(checkpoint);
            Assert.Equal((step, step), (state.SkippedSteps, (long)state.ConsecutiveSkippedSteps));
            var name = $"from{step}";
            var e = Assert.Throws<NonFiniteLossException>(() =>
                tiny.Run(In(config, name) with { Train = In(config, name).Train with { ResumeFromCheckpoint = checkpoint } }, train: poisoned));
            Assert.Equal(unbroken.Step, e.Step);
            Assert.Contains("2 steps in a row were already skipped (train.max_skipped_steps 2)", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Restore_ContinuesTheRunOfSkippedSteps()
    {
        var watchdog = new NonFiniteWatchdog("skip_step", 3, () => null);
        watchdog.Restore(5, 2);
        Assert.True(watchdog.LossIsNonFiniteOnAnotherRank(8));
        Assert.Equal((6L, 3), (watchdog.SkippedSteps, watchdog.ConsecutiveSkippedSteps));
        var e = Assert.Throws<NonFiniteLossException>(() => watchdog.LossIsNonFiniteOnAnotherRank(9));
        Assert.Contains("3 steps in a row were already skipped (train.max_skipped_steps 3)", e.Message, StringComparison.Ordinal);
        watchdog.StepTaken();
        Assert.Equal((6L, 0), (watchdog.SkippedSteps, watchdog.ConsecutiveSkippedSteps));
        Assert.Throws<ArgumentOutOfRangeException>(() => watchdog.Restore(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => watchdog.Restore(1, 2));
    }

    [Fact]
    public void TrainerState_WithoutTheSkipCounts_ReadsThemAsZero()
    {
        var state = TrainerState.FromJson("""{"global_step": 7, "data_cursor": {"epoch": 0, "batch_index": 7, "seed": 1}}""");
        Assert.Equal((0L, 0, null), (state.SkippedSteps, state.ConsecutiveSkippedSteps, state.OverflowSkippedSteps));
        var saved = TrainerState.FromJson((state with { SkippedSteps = 4, ConsecutiveSkippedSteps = 2 }).ToJson());
        Assert.Equal((4L, 2), (saved.SkippedSteps, saved.ConsecutiveSkippedSteps));
    }

    private static ExperimentConfig In(ExperimentConfig config, string outputName) =>
        config with { Train = config.Train with { OutputDir = Path.Combine(Path.GetDirectoryName(config.Train.OutputDir)!, outputName) } };

    private static TrainerState State(string checkpoint) =>
        TrainerState.FromJson(File.ReadAllText(Path.Combine(checkpoint, TrainingCheckpoint.StateFile)));

    // train.log's "step N: … step skipped (K so far, …)" lines, with their step.
    private static List<(long Step, string Line)> SkipLines(string runDirectory) =>
        [.. File.ReadAllLines(Path.Combine(runDirectory, "train.log"))
            .Where(l => l.Contains("step skipped", StringComparison.Ordinal))
            .Select(l => (long.Parse(l["step ".Length..l.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture), l))];

    [Fact]
    public void GradientCheck_NamesTheFirstParameterWithANonFiniteGradient()
    {
        using var a = Tensor.From([1f, 2f]).RequiresGrad_();
        using var b = Tensor.From([0f, 4f]).RequiresGrad_();
        using (var scope = new DisposeScope())
        {
            // d/da Σ a = 1 (finite); d/db Σ √b = 1 / (2√b) = +∞ at b = 0.
            (a.Sum() + b.Sqrt().Sum()).Backward();
        }
        IReadOnlyList<(string, Tensor)> trainable = [("head.weight", a), ("lora_A.default.weight", b)];
        Assert.Equal(("lora_A.default.weight", "±∞"), NonFiniteWatchdog.FirstNonFiniteGradient(trainable));

        var watchdog = new NonFiniteWatchdog("stop", 10, () => null);
        Assert.False(watchdog.GradientIsNonFinite(1.5, 7, 0.3, trainable));
        var e = Assert.Throws<NonFiniteLossException>(() => watchdog.GradientIsNonFinite(double.PositiveInfinity, 7, 0.3, trainable));
        Assert.StartsWith("the gradient of lora_A.default.weight holds ±∞ at step 7 (global gradient norm inf, loss 0.3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsAnUnknownPolicy_AtItsLine()
    {
        using var files = new ConfigTestFiles();
        var path = files.Write("a.yaml", "model:\n  name: mlp\ntrain:\n  on_nonfinite: ignore\n");
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal((path, 4, 3), (d.Location.File, d.Location.Line, d.Location.Column));
        Assert.Contains("train.on_nonfinite", d.Message, StringComparison.Ordinal);
        Assert.Contains("skip_step", d.Message, StringComparison.Ordinal);
    }
}
