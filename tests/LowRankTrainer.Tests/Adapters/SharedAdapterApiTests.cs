using LowRankTrainer.Adapters;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>What RandLoRA, LoTR and intrinsic-subspace methods rely on: a slot shared by several adapter layers.</summary>
public class SharedAdapterApiTests
{
    private static AdapterModel Inject(Torch.Nn.Module model) =>
        AdapterModel.Inject(model, SharedVectorTestMethod.Instance, new SharedVectorOptions { TargetModules = ["all-linear"], Dimension = 4 });

    [Fact]
    public void SharedSlot_IsOneParameter_ListedOnce_UnderItsFirstName()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = Inject(model);
        var thetas = adapted.Layers.Select(l => l.Layer.AdapterTensors().Single().Slot).Distinct().ToList();
        Assert.Single(thetas);
        Assert.Equal(["blocks.0.q_proj.theta"], adapted.TrainableParameters().Select(p => p.Name));
        Assert.Equal(4, adapted.Summary().Trainable);
    }

    [Fact]
    public void SharedSlot_GradientSumsOverEveryLayer()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = Inject(model);
        Perturb(adapted);
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model);
        var theta = adapted.TrainableParameters().Single().Value;
        model.Forward(x).Sum().Backward();
        var all = theta.Grad!.Clone();
        Autograd.ZeroGrad([theta]);
        // Only fc1 adapted: a different, smaller gradient.
        adapted.Layers.Where(l => l.Name != "fc1").ToList().ForEach(l => l.Layer.SetEnabled(false));
        model.Forward(x).Sum().Backward();
        Assert.True(MaxAbsDiff(all, theta.Grad!) > 1e-6);
    }

    [Fact]
    public void Save_WritesTheSharedTensorOnce()
    {
        using var model = AdapterTestModels.Toy();
        var folder = TempFolder();
        try
        {
            AdapterCheckpoint.Save(Inject(model), folder);
            using var file = SafetensorsFile.Open(Path.Combine(folder, AdapterCheckpoint.WeightsFile));
            Assert.Equal(["base_model.theta"], file.Names);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
