using LowRankTrainer.Config;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// What the loss keeps alive, counted by the shim's CPU allocator (<see cref="CpuMemory"/>): once the trainer disposes
/// the model output, a language model's logits [N, T, V] must be freed, as they are in PyTorch once the last Python
/// reference goes — autograd keeps log_softmax's output for backward, not the logits. A view of the logits kept in the
/// step's scope would hold their storage through backward (N·T·V elements: the largest tensor of a causal-LM step).
/// </summary>
[Collection(TrainingSerial.Name)]  // the allocator count is process-wide: no other test may allocate meanwhile
public class LossMemoryTests
{
    [Theory]
    [InlineData("cross_entropy", 3)]   // [N, T, V] logits, [N, T] targets: flattened per token
    [InlineData("cross_entropy", 2)]   // [N, C] logits, [N] targets: as they are
    public void DisposingTheOutput_AfterTheLoss_FreesItsStorage(string name, int rank)
    {
        CpuMemory.StartTracking();
        var loss = new LossFunction(new LossConfig { Name = name });
        using var scope = new DisposeScope();  // as the trainer's micro-batch scope
        using var p = Tensor.Randn(rank == 3 ? [2, 8, 1000] : [16, 1000]);
        p.RequiresGrad = true;
        using var target = rank == 3 ? Tensor.RandInt(0, 1000, [2, 8]) : Tensor.RandInt(0, 1000, [16]);
        var output = p * 2;  // a non-leaf output, as a model's (mul by a scalar saves nothing for backward)
        var value = loss.Compute(output, target);
        DisposeScope.CollectOrphans();
        var before = CpuMemory.Stats().Allocated;
        output.Dispose();
        var freed = before - CpuMemory.Stats().Allocated;
        Assert.Equal(16 * 1000 * 4, freed);
        value.Backward();
        using var grad = p.Grad!;
        Assert.Equal([16 * 1000], [grad.NumEl]);
    }
}
