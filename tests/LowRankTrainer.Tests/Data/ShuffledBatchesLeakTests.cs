using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data;

/// <summary>Runs alone: <see cref="Tensor.LiveCount"/> counts the handles of every thread.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DataSerial
{
    public const string Name = "Data (serial: leak checks read the process-wide live count)";
}

[Collection(DataSerial.Name)]
public class ShuffledBatchesLeakTests
{
    [Fact]
    public void Iterating_ThreeEpochsInPerStepScopes_LeavesNoHandleBehind()
    {
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;

        using (var data = new TensorDataset(Tensor.Randn([23, 3]), Tensor.Arange(23)))
        using (var loader = new ShuffledBatches(data, 5, seed: 9))
        {
            for (var step = 0; step < 3 * loader.BatchesPerEpoch; step++)
            {
                using var scope = new DisposeScope();
                var (x, y) = loader.Next();
                using var loss = (x.Sum(1) * y.To(DType.Float32)).Mean();
                Assert.True(double.IsFinite(loss.ToDouble()));
            }
            Assert.Equal(3, loader.Epoch);
            // Only the dataset's two tensors and the current epoch's order are alive.
            Assert.Equal(baseline + 3, Tensor.LiveCount);
        }

        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
