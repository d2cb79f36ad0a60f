using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>The trainer with <c>adapter.method: lora</c>: a frozen base, PEFT-layout checkpoints, clear config errors.</summary>
public class LoraTrainingTests
{
    /// <summary>LoRA r=4 α=8 on layers.0 (16→32) of the tiny MLP without dropout, head layers.2 trained in full.</summary>
    internal static ExperimentConfig LoraConfig(TinyRun tiny) => tiny.Config() with
    {
        Model = tiny.Config().Model with { Dropout = 0 },
        Adapter = new AdapterConfig { Method = "lora", R = 4, LoraAlpha = 8, TargetModules = ["all-linear"], ModulesToSave = ["layers.2"], InitSeed = 3 },
    };

    [Fact]
    public void LoraRun_TrainsOnlyTheAdapterAndHead_AndSavesThemInPeftLayout()
    {
        using var tiny = new TinyRun();
        var config = LoraConfig(tiny);
        var result = tiny.Run(config);
        // lora_A (4, 16) + lora_B (32, 4) + head (4, 32) + (4): 64 + 128 + 132 = 324 of 16·32+32 + 132 + 192 = 868.
        Assert.Equal(324, result.Summary.NumTrainableParams);
        Assert.Equal(868, result.Summary.NumTotalParams);

        var final = Path.Combine(result.RunDirectory, "final");
        var step10 = Path.Combine(result.RunDirectory, "checkpoints", "step-000010");
        foreach (var folder in new[] { final, step10 })
        {
            Assert.True(File.Exists(Path.Combine(folder, AdapterCheckpoint.ConfigFile)), folder);
            Assert.True(File.Exists(Path.Combine(folder, AdapterCheckpoint.WeightsFile)), folder);
            Assert.False(File.Exists(Path.Combine(folder, TrainingCheckpoint.ModelFile)), folder);
        }
        var saved = SafetensorsFile.ReadAll(Path.Combine(final, AdapterCheckpoint.WeightsFile));
        try
        {
            Assert.Equal(
                ["base_model.model.layers.0.lora_A.weight", "base_model.model.layers.0.lora_B.weight", "base_model.model.layers.2.bias", "base_model.model.layers.2.weight"],
                saved.Keys.Order(StringComparer.Ordinal).ToArray());
        }
        finally
        {
            TinyRun.Free(saved);
        }

        // The base before training, and the adapter loaded back onto a fresh base built from the same seed.
        using var g0 = new Generator(7);
        using var initial = ModelFactory.Create(config.Model, g0, 16);
        using var before = initial.StateDict();
        using var g1 = new Generator(7);
        using var model = ModelFactory.Create(config.Model, g1, 16);
        var adapted = AdapterCheckpoint.Load(model, final);
        var options = Assert.IsType<LoraOptions>(adapted.Options);
        Assert.Equal((4, 8.0), (options.R, options.Alpha)); // init_seed is not part of adapter_config.json
        Assert.Equal(["layers.0"], adapted.Layers.Select(l => l.Name));
        using var after = model.StateDict();
        Assert.True(before["layers.0.weight"].ValueEquals(after["layers.0.base_layer.weight"]));
        Assert.True(before["layers.0.bias"].ValueEquals(after["layers.0.base_layer.bias"]));
        Assert.False(before["layers.2.weight"].ValueEquals(after["layers.2.weight"]));
        using var zero = Tensor.Zeros([32, 4]);
        Assert.False(after["layers.0.lora_B.weight"].ValueEquals(zero)); // B started at 0 and trained

        // The trained model was exactly frozen base + saved adapter: its final eval loss is reproduced bit for bit.
        var eval = new LossFunction(config.Loss).Evaluate(model, tiny.Eval, config.Eval.PerDeviceEvalBatchSize);
        Assert.Equal(result.Summary.EvalLoss, eval.Loss);
    }

    [Fact]
    public void LoraTargetMatchingNothing_IsAnArgumentError_ListingTheModules_BeforeAnyRunFolder()
    {
        using var tiny = new TinyRun();
        var config = LoraConfig(tiny);
        config = config with { Adapter = config.Adapter with { TargetModules = ["q_proj"] } };
        var e = Assert.Throws<ArgumentException>(() => tiny.Run(config));
        Assert.StartsWith("adapter: adapter target_modules [q_proj] matched no Linear layer", e.Message, StringComparison.Ordinal);
        Assert.Contains("layers.0 (Linear)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(config.Train.OutputDir));
    }

    [Fact]
    public void Resume_LoraRunFromAFullCheckpoint_OrTheReverse_IsRefused()
    {
        using var tiny = new TinyRun();
        var full = tiny.RunUntil(tiny.Config() with { Model = tiny.Config().Model with { Dropout = 0 } }, 10);
        var lora = LoraConfig(tiny);
        var e = Assert.Throws<InvalidDataException>(() => tiny.Run(lora with { Train = lora.Train with { ResumeFromCheckpoint = full.LastCheckpoint } }));
        Assert.Contains("holds no adapter", e.Message, StringComparison.Ordinal);

        var adapterRun = tiny.RunUntil(lora with { Train = lora.Train with { OutputDir = Path.Combine(tiny.Root, "l") } }, 10);
        var plain = tiny.Config() with { Model = tiny.Config().Model with { Dropout = 0 } };
        e = Assert.Throws<InvalidDataException>(() => tiny.Run(plain with { Train = plain.Train with { ResumeFromCheckpoint = adapterRun.LastCheckpoint } }));
        Assert.Contains("holds an adapter", e.Message, StringComparison.Ordinal);

        var otherRank = lora with { Adapter = lora.Adapter with { R = 2 }, Train = lora.Train with { ResumeFromCheckpoint = adapterRun.LastCheckpoint } };
        e = Assert.Throws<InvalidDataException>(() => tiny.Run(otherRank));
        Assert.Contains("does not fit the configured adapter", e.Message, StringComparison.Ordinal);
    }
}
