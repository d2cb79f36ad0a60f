namespace LowRankTrainer.Torch.Tests.Runtime;

/// <summary>The C-heap in-use counter follows tensor allocations and frees.</summary>
public class HostMemoryTests
{
    [Fact]
    public void HeapInUse_RisesByATensorsBytes_AndFallsWhenItIsFreed()
    {
        if (!OperatingSystem.IsLinux()) return; // mallinfo2 is glibc's; elsewhere the contract is null
        DisposeScope.CollectOrphans();
        using (Tensor.Zeros([16])) _ = HostMemory.HeapInUseBytes(); // first-use allocations out of the way
        const long bytes = 64L << 20;
        const long slack = 1L << 20; // other threads (runtime, JIT) may malloc a little meanwhile
        var before = HostMemory.HeapInUseBytes()!.Value;
        var t = Tensor.Zeros([bytes / 4]); // float32
        var during = HostMemory.HeapInUseBytes()!.Value;
        t.Dispose();
        var after = HostMemory.HeapInUseBytes()!.Value;
        // Freeing exactly this tensor takes back its bytes; allocating it added at least them.
        Assert.InRange(during - after, bytes - slack, bytes + slack);
        Assert.True(during - before >= bytes - slack, $"heap rose by {during - before} bytes for a {bytes}-byte tensor");
    }
}
