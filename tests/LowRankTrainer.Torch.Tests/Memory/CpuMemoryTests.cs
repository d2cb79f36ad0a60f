using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Memory;

/// <summary>
/// The counting CPU allocator (src/native/shim_cpu_memory.cpp): its counts against the closed-form size of the storages
/// made and freed (elements × element size), as torch.cuda.memory_allocated would count them on a GPU.
/// </summary>
public class CpuMemoryTests
{
    private static CpuMemoryStats Settled()
    {
        CpuMemory.StartTracking();
        DisposeScope.CollectOrphans(); // tensors other tests dropped are freed now, not in the middle of a count
        return CpuMemory.Stats();
    }

    [Fact]
    public void Allocated_GrowsByTheStorageSize_AndFallsBackWhenTheTensorIsFreed()
    {
        var before = Settled();
        Assert.True(before.IsTracking);
        var t = Tensor.Zeros([1000, 250]);  // float32: 250,000 × 4 bytes
        var during = CpuMemory.Stats();
        var d = Tensor.Zeros([3, 7], DType.Float64);
        var withDouble = CpuMemory.Stats();
        t.Dispose();
        d.Dispose();
        var after = CpuMemory.Stats();
        Assert.Equal(1_000_000, during.Allocated - before.Allocated);
        Assert.Equal(3 * 7 * 8, withDouble.Allocated - during.Allocated);
        Assert.Equal(before.Allocated, after.Allocated);
    }

    [Fact]
    public void Peak_RemembersATemporary_UntilReset()
    {
        var before = Settled();
        CpuMemory.ResetPeak();
        Assert.Equal(before.Allocated, CpuMemory.Stats().PeakAllocated);
        using (var a = Tensor.Ones([512, 512]))
        using (var b = a.Exp())  // two 1 MiB storages alive at once
        {
        }
        var after = CpuMemory.Stats();
        Assert.Equal(before.Allocated, after.Allocated);
        Assert.Equal(before.Allocated + 2 * 512 * 512 * 4, after.PeakAllocated);
        CpuMemory.ResetPeak();
        Assert.Equal(after.Allocated, CpuMemory.Stats().PeakAllocated);
    }

    [Fact]
    public void AViewSharesItsStorage_AndAnInPlaceOpAllocatesNothing()
    {
        var before = Settled();
        using var t = Tensor.Ones([64, 64]);
        var owned = CpuMemory.Stats().Allocated - before.Allocated;
        using var view = t.Transpose(0, 1);
        t.Mul_(3);
        Assert.Equal(64 * 64 * 4, owned);
        Assert.Equal(owned, CpuMemory.Stats().Allocated - before.Allocated);
    }

    [Fact]
    public void Backward_FreesWhatAutogradSaved()
    {
        var before = Settled();
        using var x = Tensor.Randn([256, 256]);
        x.RequiresGrad = true;
        using (var scope = new DisposeScope())
        {
            var y = (x.Exp() * x).Sum();  // exp's result is saved for both exp's and mul's backward
            y.Backward();
        }
        using var grad = x.Grad!;
        var after = CpuMemory.Stats();
        // What stays: x and its gradient, both 256 × 256 float32.
        Assert.Equal(2 * 256 * 256 * 4, after.Allocated - before.Allocated);
    }
}
