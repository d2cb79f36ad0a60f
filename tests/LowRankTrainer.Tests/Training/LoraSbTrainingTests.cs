using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.LoraSb;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim.Schedulers;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>The trainer with <c>adapter.method: lora_sb</c>: the gradient-estimate init before injection, PEFT-layout checkpoints.</summary>
[Collection(TrainingSerial.Name)]
public class LoraSbTrainingTests
{
    [Fact]
    public void LoraSbRun_InitialisesFromTheGradientEstimate_AndTrainsOnlyRAndTheHead()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with
        {
            Model = tiny.Config().Model with { Dropout = 0 },
            Adapter = new AdapterConfig { Method = "lora_sb", R = 3, LoraSbNumSamples = 10, TargetModules = ["all-linear"], ModulesToSave = ["layers.2"] },
        };
        var result = tiny.Run(config);
        // R (3, 3) + head (4, 32) + (4): 9 + 132 = 141.
        Assert.Equal(141, result.Summary.NumTrainableParams);

        // The frozen B and A saved with the run are the init's: recompute it on a fresh base built from the same seed.
        using var g = new Generator(unchecked((ulong)config.Train.Seed));
        using var fresh = ModelFactory.Create(config.Model, g, 16);
        var t = config.Train;
        var batchesPerEpoch = (tiny.Train.Count + t.PerDeviceTrainBatchSize - 1) / t.PerDeviceTrainBatchSize;
        var totalSteps = t.MaxSteps > 0 ? t.MaxSteps : (long)Math.Ceiling(t.NumTrainEpochs * batchesPerEpoch / t.GradientAccumulationSteps);
        var warmup = (t.WarmupSteps > 0 ? Warmup.OfSteps(t.WarmupSteps) : Warmup.OfRatio(t.WarmupRatio)).Resolve(totalSteps);
        using var estimate = GradientEstimate.Compute(fresh, new LossFunction(config.Loss), tiny.Train, 10, t.PerDeviceTrainBatchSize, GradientEstimate.FirstStepLearningRate(t.LearningRate, warmup));
        var adapted = AdapterModel.Inject(fresh, new LoraSbOptions { TargetModules = ["all-linear"], R = 3, InitContext = estimate });
        var layer = Assert.IsType<LoraSbLinear>(Assert.Single(adapted.Layers).Layer);
        var saved = SafetensorsFile.ReadAll(Path.Combine(result.RunDirectory, "final", AdapterCheckpoint.WeightsFile));
        try
        {
            Assert.True(saved["base_model.model.layers.0.lora_A.weight"].AllClose(layer.A.Value, 1e-6, 1e-6));
            Assert.True(saved["base_model.model.layers.0.lora_B.weight"].AllClose(layer.B.Value, 1e-6, 1e-6));
            Assert.True(layer.Latent.Value.Abs().Sum().ToDouble() > 0, "R = diag(S_r) is not zero");
        }
        finally
        {
            TinyRun.Free(saved);
        }
    }
}
