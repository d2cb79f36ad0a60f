using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// fp16's overflow reporting (issue #9; <see cref="LossScaling"/>): a step whose gradients overflow at the loss scale gets
/// a console line, the train entries of <c>metrics.jsonl</c>, <c>summary.json</c> and <c>trainer_state.json</c> carry
/// <c>loss_scale</c> and <c>overflow_skipped_steps</c>, and a resumed run reports what an unbroken one does. fp16 itself
/// needs CUDA (CudaTrainingTests); here the trainer runs in fp32 on the CPU with a scaler injected through
/// <see cref="TrainerOptions.LossScaler"/> whose initial scale, above float32's range, makes S·loss overflow for real.
/// </summary>
// Serial: the resume test compares two runs bit for bit (the process-global torch RNG draws dropout).
[Collection(TrainingSerial.Name)]
public class LossScalingTests
{
    // float32 overflows at 2^128: S = 2^130, 2^129 and 2^128 turn S·loss into ∞ whatever the loss.
    private const int ScalesAboveFloat32 = 3;
    private static readonly double _hugeScale = Math.Pow(2, 127 + ScalesAboveFloat32);
    private static readonly JsonSerializerOptions _metricsJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [Fact]
    public void Update_CountsOverflows_AndNamesTheOldAndNewScale()
    {
        using var scope = new DisposeScope();
        var w = Tensor.From([1f, 2f]).RequiresGrad_();
        var scaling = new LossScaling(new GradScaler(initScale: 8));
        w.Grad = Tensor.From([float.PositiveInfinity, 4f]);
        var overflow = scaling.Unscale([w]);
        Assert.True(overflow);
        Assert.Equal("step 3: gradients overflowed at loss scale 8; optimizer step skipped, loss scale reduced to 4 (1 skipped on overflow so far)",
                     scaling.Update(overflow, 3));
        w.Grad = Tensor.From([2f, 4f]);
        overflow = scaling.Unscale([w]);
        Assert.False(overflow);
        Assert.Null(scaling.Update(overflow, 4));
        Assert.Equal((4.0, 1L), (scaling.Scale, scaling.OverflowSkippedSteps));
        var entry = scaling.Annotate(new MetricsEntry { Step = 4, Loss = 0.5 });
        Assert.Equal((4.0, 1L), (entry.LossScale, entry.OverflowSkippedSteps));
        var summary = scaling.Annotate(new RunSummary());
        Assert.Equal((4.0, 1L), (summary.LossScale, summary.OverflowSkippedSteps));
        Assert.Equal("; loss scale 4, 1 step skipped on overflow", scaling.Summary());
    }

    [Fact]
    public void State_RoundTripsThroughTrainerStateJson()
    {
        var scaling = new LossScaling(new GradScaler(initScale: 1024, growthInterval: 5));
        scaling.Update(true, 1);
        scaling.Update(false, 2);
        scaling.Update(true, 3);
        scaling.Update(false, 4);
        var json = scaling.Annotate(new TrainerState { GlobalStep = 4 }).ToJson();
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.Equal(scaling.Scale, doc.RootElement.GetProperty("loss_scale").GetDouble());
            Assert.Equal(scaling.OverflowSkippedSteps, doc.RootElement.GetProperty("overflow_skipped_steps").GetInt64());
        }
        var restored = new LossScaling(new GradScaler(growthInterval: 5));
        restored.Restore(TrainerState.FromJson(json));
        Assert.Equal((scaling.Scale, scaling.OverflowSkippedSteps), (restored.Scale, restored.OverflowSkippedSteps));
        // The growth tracker came along: both grow on the same later step.
        for (var step = 5; step <= 9; step++)
        {
            scaling.Update(false, step);
            restored.Update(false, step);
            Assert.Equal(scaling.Scale, restored.Scale);
        }
        Assert.NotEqual(TrainerState.FromJson(json).LossScale, restored.Scale);
    }

    [Fact]
    public void Restore_FromAnOlderOrNonFp16State()
    {
        // fp16 before the count was saved: the scale is restored, the count reads 0.
        var old = new LossScaling(new GradScaler());
        old.Restore(TrainerState.FromJson("""{"global_step": 3, "loss_scale": 8192, "loss_scale_growth_tracker": 1}"""));
        Assert.Equal((8192.0, 0L), (old.Scale, old.OverflowSkippedSteps));
        // An fp32/bf16 checkpoint resumed in fp16: S starts where a fresh run's does.
        var fresh = new GradScaler();
        var other = new LossScaling(new GradScaler());
        other.Restore(TrainerState.FromJson("""{"global_step": 3}"""));
        Assert.Equal((fresh.Scale, 0L), (other.Scale, other.OverflowSkippedSteps));
        Assert.Throws<ArgumentOutOfRangeException>(() => other.Restore(new TrainerState { LossScale = 8, OverflowSkippedSteps = -1 }));
    }

    [Fact]
    public void WithoutLossScaling_NothingIsAdded()
    {
        using var tiny = new TinyRun();
        var result = tiny.Run(tiny.Config());
        Assert.Null(result.Summary.LossScale);
        Assert.Null(result.Summary.OverflowSkippedSteps);
        foreach (var line in File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl")))
        {
            Assert.DoesNotContain("loss_scale", line, StringComparison.Ordinal);
            Assert.DoesNotContain("overflow_skipped_steps", line, StringComparison.Ordinal);
        }
        var state = File.ReadAllText(Path.Combine(result.LastCheckpoint!, TrainingCheckpoint.StateFile));
        Assert.DoesNotContain("loss_scale", state, StringComparison.Ordinal);
        Assert.DoesNotContain("overflow_skipped_steps", state, StringComparison.Ordinal);
        Assert.DoesNotContain("overflow", File.ReadAllText(Path.Combine(result.RunDirectory, "train.log")), StringComparison.Ordinal);
    }

    [Fact]
    public void ForcedOverflows_AreReportedInConsoleMetricsSummaryAndCheckpoints()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config();
        var console = new StringWriter();
        var result = tiny.Run(config with { Checkpoint = config.Checkpoint with { SaveSteps = 2 } }, lossScaler: () => new GradScaler(initScale: _hugeScale), console: console);
        Assert.Equal("success", result.Summary.Status);
        var overflows = AssertOverflowsReported(result, _hugeScale, console.ToString());
        Assert.True(overflows.Count >= ScalesAboveFloat32, $"{overflows.Count} overflows");
        Assert.Equal(Enumerable.Range(1, ScalesAboveFloat32).Select(s => (long)s), overflows.Take(ScalesAboveFloat32));
        Assert.True(overflows.Count < result.Summary.GlobalStep, "every step overflowed: none trained");
    }

    [Fact]
    public void StraightVersusStopAndResume_ReportTheSameOverflowTotals()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config();
        Func<GradScaler> scaler = () => new GradScaler(initScale: _hugeScale);
        var (straight, stopped, resumed, checkpoint) = tiny.StraightStoppedResumed(config, 10, scaler);
        var saved = TrainerState.FromJson(File.ReadAllText(Path.Combine(checkpoint, TrainingCheckpoint.StateFile)));
        Assert.True(saved.OverflowSkippedSteps >= ScalesAboveFloat32, $"{saved.OverflowSkippedSteps} overflows saved at step 10");
        Assert.Equal(stopped.Summary.OverflowSkippedSteps, saved.OverflowSkippedSteps);
        Assert.Equal(stopped.Summary.LossScale, saved.LossScale);

        AssertOverflowsReported(straight, _hugeScale);
        Assert.Equal(OverflowLines(straight.RunDirectory).Where(l => l.Step > 10), OverflowLines(resumed.RunDirectory));
        Assert.Equal((straight.Summary.LossScale, straight.Summary.OverflowSkippedSteps), (resumed.Summary.LossScale, resumed.Summary.OverflowSkippedSteps));
        Assert.Equal(Entries(straight.RunDirectory).Select(Reported), Entries(resumed.RunDirectory).Select(Reported));
        Assert.Equal(straight.Summary.EvalLoss, resumed.Summary.EvalLoss);
    }

    /// <summary>
    /// Checks a run's overflow reports against each other: one console line (also in train.log) per overflow naming the
    /// scale before and after and the count so far; per train entry the count up to its step and S₀/2^count (S only
    /// halves: growth needs 2000 finite steps in a row); no grad_norm and an unchanged learning rate after an overflow
    /// step (neither clipping nor the schedule ran); every checkpoint's trainer_state.json as its step's entry; the summary
    /// as the end. Returns the overflow steps.
    /// </summary>
    internal static List<long> AssertOverflowsReported(TrainResult run, double initialScale, string? console = null)
    {
        var dir = run.RunDirectory;
        var log = File.ReadAllLines(Path.Combine(dir, "train.log"));
        var overflowLines = OverflowLines(dir);
        var lines = overflowLines.Select(l => l.Line).ToList();
        if (console is not null) Assert.Equal(lines, console.Split('\n').Select(l => l.TrimEnd('\r')).Where(lines.Contains));
        var steps = overflowLines.Select(l => l.Step).ToList();
        var scale = initialScale;
        for (var i = 0; i < steps.Count; i++)
        {
            Assert.Equal(string.Create(CultureInfo.InvariantCulture,
                $"step {steps[i]}: gradients overflowed at loss scale {scale}; optimizer step skipped, loss scale reduced to {scale / 2} ({i + 1} skipped on overflow so far)"), lines[i]);
            scale /= 2;
        }
        Assert.Equal(steps.Count, run.Summary.OverflowSkippedSteps);
        Assert.Equal(scale, run.Summary.LossScale);
        var last = log.Last(l => l.StartsWith(run.Summary.Status + ":", StringComparison.Ordinal));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"; loss scale {scale}, {steps.Count} step"), last, StringComparison.Ordinal);

        var train = Entries(dir).Where(e => e.Split == "train").ToDictionary(e => e.Step);
        foreach (var (step, entry) in train)
        {
            var count = steps.Count(s => s <= step);
            Assert.Equal((count, initialScale / Math.Pow(2, count)), (entry.OverflowSkippedSteps!.Value, entry.LossScale!.Value));
            if (steps.Contains(step)) Assert.Null(entry.GradNorm);
            else Assert.NotNull(entry.GradNorm);
            if (steps.Contains(step) && train.TryGetValue(step + 1, out var next)) Assert.Equal(entry.LearningRate, next.LearningRate);
            // The plain log line of the entry shows the scale last.
            Assert.EndsWith(string.Create(CultureInfo.InvariantCulture, $" | loss_scale {entry.LossScale}"),
                            log.Single(l => l.StartsWith($"step {step}/{run.Summary.MaxSteps} |", StringComparison.Ordinal)), StringComparison.Ordinal);
        }
        Assert.All(Entries(dir).Where(e => e.Split == "eval"), e => Assert.Null(e.LossScale ?? e.OverflowSkippedSteps));
        var checkpoints = TrainingCheckpoint.List(Path.Combine(dir, "checkpoints"));
        Assert.NotEmpty(checkpoints);
        foreach (var checkpoint in checkpoints)
        {
            var state = TrainerState.FromJson(File.ReadAllText(Path.Combine(checkpoint, TrainingCheckpoint.StateFile)));
            var at = train[state.GlobalStep];
            Assert.Equal((at.OverflowSkippedSteps, at.LossScale), (state.OverflowSkippedSteps, state.LossScale));
        }
        return steps;
    }

    /// <summary>train.log's overflow lines ("step N: gradients overflowed at loss scale …"), with their step.</summary>
    internal static List<(long Step, string Line)> OverflowLines(string runDirectory) =>
        [.. File.ReadAllLines(Path.Combine(runDirectory, "train.log"))
            .Where(l => l.Contains(": gradients overflowed at loss scale", StringComparison.Ordinal))
            .Select(l => (long.Parse(l["step ".Length..l.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture), l))];

    private static List<MetricsEntry> Entries(string runDirectory) =>
        [.. File.ReadAllLines(Path.Combine(runDirectory, "metrics.jsonl")).Select(l => JsonSerializer.Deserialize<MetricsEntry>(l, _metricsJson)!)];

    // Every reported number but timings and memory.
    private static string Reported(MetricsEntry e) =>
        (e with { SamplesPerSecond = null, ElapsedSeconds = null, EvalRuntime = null, GpuMemPeakAllocMib = null, GpuMemPeakReservedMib = null }).ToString();
}
