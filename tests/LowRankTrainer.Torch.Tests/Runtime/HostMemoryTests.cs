namespace LowRankTrainer.Torch.Tests.Runtime;

/// <summary>The C-heap in-use counter follows tensor allocations and frees.</summary>
public class HostMemoryTests
{
    [Fact]
    public void HeapInUse_RisesByATensorsBytes_AndFallsWhenItIsFreed()
    {
        if (!OperatingSystem.IsLinux()) return; // mallinfo2 is glibc's; elsewhere the contract is null
        DisposeScope.CollectOrphans();
        var before = HostMemory.HeapInUseBytes()!.Value;
        const long bytes = 64L << 20;
        var t = Tensor.Zeros([bytes / 4]); // float32
        var during = HostMemory.HeapInUseBytes()!.Value;
        t.Dispose();
        var after = HostMemory.HeapInUseBytes()!.Value;
        // Other threads may allocate a little meanwhile; 1 MiB of slack either way.
        Assert.InRange(during - before, bytes - (1 << 20), bytes + (1 << 20));
        Assert.InRange(during - after, bytes - (1 << 20), bytes + (1 << 20));
    }
}
