using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Torch.Tests.Nn;

/// <summary>Live-handle counts are process-wide, so these never run beside other tests.</summary>
[CollectionDefinition(nameof(NnLiveCountTests), DisableParallelization = true)]
public sealed class NnLiveCountTests;

/// <summary>Parameters never join a scope, and disposing a module returns the shim's live count to baseline.</summary>
[Collection(nameof(NnLiveCountTests))]
public class ModuleLifetimeTests : NnTestBase
{
    private static Sequential Model(Generator gen) => new(
        new Conv2d(1, 4, 3, padding: 1, generator: gen), new ReLU(), new MaxPool2d(2), new AvgPool2d(2),
        new LayerNorm([4, 2, 2]), new Dropout(0.1, gen));

    [Fact]
    public void Dispose_AfterTrainingSteps_ReturnsLiveCountToBaseline()
    {
        using var gen = new Generator(5);
        Drain();
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var baseline = Tensor.LiveCount;
        Sequential model;
        using (new DisposeScope())
        {
            model = Model(gen);  // built inside a scope: its parameters must survive it
        }
        var head = new Linear(16, 3, generator: gen);
        var afterBuild = Tensor.LiveCount;
        Assert.Equal(baseline + 6, afterBuild);  // conv, layer norm and linear: a weight and a bias each

        for (var step = 0; step < 5; step++)
        {
            using var scope = new DisposeScope();
            var x = Tensor.Randn([2, 1, 8, 8], gen);
            var logits = head.Forward(model.Forward(x).Flatten(1));
            var loss = Functional.CrossEntropy(logits, Tensor.From<long>(0, 2));
            loss.Backward();
            using (var state = model.StateDict()) Assert.Equal(4, state.Count);
            Autograd.ZeroGrad(model.Parameters());
            Autograd.ZeroGrad(head.Parameters());
        }
        Assert.Equal(afterBuild, Tensor.LiveCount);

        model.To(DType.Float64);
        Assert.Equal(afterBuild, Tensor.LiveCount);  // converted tensors replace the old ones
        model.Dispose();
        head.Dispose();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void SlotSet_Owned_FreesThePreviousTensor_Borrowed_LeavesItToTheCaller()
    {
        Drain();
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var baseline = Tensor.LiveCount;
        var linear = new Linear(2, 2);
        var afterBuild = Tensor.LiveCount;
        linear.Weight.Set(Tensor.Zeros(2, 2), owned: true);  // the initial weight is freed
        Assert.Equal(afterBuild, Tensor.LiveCount);
        var borrowed = Tensor.Ones(2, 2);
        linear.Weight.Set(borrowed);                          // the owned zeros are freed, ones borrowed
        Assert.Equal(afterBuild, Tensor.LiveCount);
        linear.Dispose();
        Assert.False(borrowed.IsDisposed);
        Assert.Equal(baseline + 1, Tensor.LiveCount);
        borrowed.Dispose();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
