using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Memory;

public class OutOfMemoryTests
{
    [Fact]
    public void HugeAllocation_ThrowsTorchOutOfMemory_AndTheProcessCarriesOn()
    {
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var before = Tensor.LiveCount;
        // 2^46 float32 elements = 256 TiB: more than any x86-64 address space can map.
        var e = Assert.Throws<TorchOutOfMemoryException>(() => Tensor.Empty([1L << 46], DType.Float32));
        Assert.Contains("memory", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Exception raised from", e.Message, StringComparison.Ordinal); // no C++ backtrace
        Assert.Equal(before, Tensor.LiveCount);

        using var ok = Tensor.Ones(4);
        Assert.Equal(4.0, ok.Sum().ToDouble());
    }
}
