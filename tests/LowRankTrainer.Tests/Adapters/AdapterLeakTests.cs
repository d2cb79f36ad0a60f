using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.Lotr;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Tests.Training;
using LowRankTrainer.Torch;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>
/// Inject, train, merge, unmerge, disable, save and load leave no tensor handle behind: LoRA (per-layer tensors, dropout),
/// RandLoRA (shared buffers, a native autograd node) and LoTR (shared parameters).
/// </summary>
[Collection(TrainingSerial.Name)]
public class AdapterLeakTests
{
    public static TheoryData<string, AdapterOptions> Cases => new()
    {
        { "lora", new LoraOptions { TargetModules = ["all-linear"], Dropout = 0.1, Bias = AdapterBias.All } },
        { "randlora", new RandLoraOptions { TargetModules = ["all-linear"], R = 3, Dropout = 0.1, Bias = AdapterBias.All } },
        { "randlora no saved projection", new RandLoraOptions { TargetModules = ["q_proj", "fc1"], R = 2, SaveProjection = false, Sparse = true } },
        { "lotr", new LotrOptions { TargetModules = ["all-linear"], R = 2 } },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void InjectTrainMergeSaveLoadDispose_LeavesNoHandleBehind(string description, AdapterOptions options)
    {
        _ = description;
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        var folder = TempFolder();
        try
        {
            using (var model = AdapterTestModels.Toy())
            {
                var adapted = AdapterModel.Inject(model, options);
                Perturb(adapted);
                var parameters = adapted.TrainableParameters().Select(p => p.Value).ToList();
                for (var step = 0; step < 3; step++)
                {
                    using var scope = new DisposeScope();
                    model.Forward(AdapterTestModels.Input(model)).Square().Mean().Backward();
                    using (Autograd.NoGrad())
                    {
                        foreach (var p in parameters) p.Sub_(p.Grad!, 0.01);
                    }
                    Autograd.ZeroGrad(parameters);
                }
                adapted.Merge();
                adapted.Unmerge();
                adapted.Disable();
                adapted.Enable();
                AdapterCheckpoint.Save(adapted, folder);
                using var fresh = AdapterTestModels.Toy();
                AdapterCheckpoint.Load(fresh, folder);
            }
            DisposeScope.CollectOrphans();
            Assert.Equal(baseline, Tensor.LiveCount);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
