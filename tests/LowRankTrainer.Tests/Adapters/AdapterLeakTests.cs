using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Tests.Training;
using LowRankTrainer.Torch;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

[Collection(TrainingSerial.Name)]
public class AdapterLeakTests
{
    [Fact]
    public void InjectTrainMergeSaveLoadDispose_LeavesNoHandleBehind()
    {
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        var folder = TempFolder();
        try
        {
            using (var model = AdapterTestModels.Toy())
            {
                var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["all-linear"], Dropout = 0.1, Bias = AdapterBias.All });
                Perturb(adapted);
                for (var step = 0; step < 3; step++)
                {
                    using var scope = new DisposeScope();
                    model.Forward(AdapterTestModels.Input(model)).Square().Mean().Backward();
                }
                Autograd.ZeroGrad(adapted.TrainableParameters().Select(p => p.Value).ToList());
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
