using System.Text.Json;
using LowRankTrainer.Adapters;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// The golden resume test (torchtune's test_training_state_on_resume, bit-exact): 2N steps straight
/// versus N steps, a stop, a fresh Trainer resuming from the step-N checkpoint, and N more steps —
/// with gradient accumulation 2, shuffling across epoch boundaries and dropout, so the optimizer,
/// schedule, RNG and data-cursor states all matter.
/// </summary>
// Serial: bit-identity needs the process-global torch RNG (dropout) untouched by tests running alongside.
[Collection(TrainingSerial.Name)]
public class ResumeEquivalenceTests
{
    [Theory]
    [InlineData("full fine-tuning")]
    [InlineData("frozen base + head")]
    [InlineData("lora + head")]
    [InlineData("lora_sb + head")]
    [InlineData("mrl-e, 2 sampled sizes per step")]
    public void StraightVersusStopAndResume_LossesAndWeightsBitIdentical(string scenario)
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with { Logging = new LoggingConfig { LoggingSteps = 3 } }; // window spans the stop at 10
        if (scenario.StartsWith("frozen", StringComparison.Ordinal)) config = config with { Adapter = new AdapterConfig { ModulesToSave = ["layers.3"] } };
        if (scenario.StartsWith("mrl", StringComparison.Ordinal))
        {
            // The sizes drawn for a step depend on (seed, step) only, so the resumed run draws what the straight one did.
            config = config with { Loss = new LossConfig { Type = "mrl", Matryoshka = new MatryoshkaConfig { Dims = [4, 16, 32], DimsPerStep = 2, Efficient = true } } };
        }
        if (scenario.StartsWith("lora_sb", StringComparison.Ordinal))
        {
            // The resumed run must load R, B and A from the checkpoint, not re-estimate them.
            config = config with { Adapter = new AdapterConfig { Method = "lora_sb", R = 2, LoraSbNumSamples = 8, TargetModules = ["all-linear"], ModulesToSave = ["layers.3"] } };
        }
        else if (scenario.StartsWith("lora", StringComparison.Ordinal))
        {
            // Branch dropout too, so the RNG state matters for the adapter as well as for the base's dropout.
            config = config with { Adapter = new AdapterConfig { Method = "lora", R = 4, LoraAlpha = 8, LoraDropout = 0.1, TargetModules = ["all-linear"], ModulesToSave = ["layers.3"] } };
        }
        var (straight, stopped, resumed, _) = tiny.StraightStoppedResumed(config, 10);
        Assert.True(stopped.Cancelled);
        Assert.Equal(10, stopped.Summary.GlobalStep);
        Assert.Equal(20, resumed.Summary.GlobalStep);

        Assert.Equal(Events(straight.RunDirectory), Events(resumed.RunDirectory));
        Assert.Equal(straight.Summary.EvalLoss, resumed.Summary.EvalLoss);
        var file = scenario.StartsWith("lora", StringComparison.Ordinal) ? AdapterCheckpoint.WeightsFile : TrainingCheckpoint.ModelFile;
        TinyRun.AssertSameWeightsAndFree(SafetensorsFile.ReadAll(Path.Combine(straight.RunDirectory, "final", file)),
                                         SafetensorsFile.ReadAll(Path.Combine(resumed.RunDirectory, "final", file)), scenario);
    }

    [Fact]
    public void ResumingFromTheLastStepsCheckpoint_DoesNotEvaluateItAgain()
    {
        // A run killed after its step-20 checkpoint (taken right after the step-20 evaluation) and resumed there must
        // log exactly what the uninterrupted run logged, and report that evaluation in its summary.
        using var tiny = new TinyRun();
        var config = tiny.Config();
        var straight = tiny.Run(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "a") } });
        var checkpoint = Path.Combine(straight.RunDirectory, "checkpoints", "step-000020");
        var resumed = tiny.Run(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "b"), ResumeFromCheckpoint = checkpoint } });
        Assert.Equal(Events(straight.RunDirectory), Events(resumed.RunDirectory));
        Assert.Equal((straight.Summary.EvalLoss, straight.Summary.EvalAccuracy, straight.Summary.EvalF1),
                     (resumed.Summary.EvalLoss, resumed.Summary.EvalAccuracy, resumed.Summary.EvalF1));
    }

    // Every logged number except timings, as text (exact doubles).
    private static List<string> Events(string runDirectory) =>
        File.ReadAllLines(Path.Combine(runDirectory, "metrics.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            var keep = doc.RootElement.EnumerateObject()
                .Where(p => p.Name is not ("samples_per_second" or "elapsed_seconds" or "eval_runtime"))
                .Select(p => $"{p.Name}={p.Value.GetRawText()}");
            return string.Join(' ', keep);
        }).ToList();
}
