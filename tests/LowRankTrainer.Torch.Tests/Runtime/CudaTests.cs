using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Runtime;

public class CudaTests
{
    [NoGpuFact]
    public void WithoutCuda_QueriesAnswerCleanly()
    {
        Assert.False(Cuda.IsAvailable);
        Assert.Equal(0, Cuda.DeviceCount);
        Cuda.EmptyCache(); // a no-op, as torch.cuda.empty_cache() is without CUDA
        var stats = Assert.Throws<CudaUnavailableException>(() => Cuda.MemoryStats());
        Assert.StartsWith("no CUDA", stats.Message, StringComparison.Ordinal);
        var sync = Assert.Throws<CudaUnavailableException>(() => Cuda.Synchronize());
        Assert.StartsWith("no CUDA", sync.Message, StringComparison.Ordinal);
    }

    [NoGpuFact]
    public void WithoutCuda_CreatingACudaTensor_ThrowsTorchException()
    {
        var e = Assert.ThrowsAny<TorchException>(() => Tensor.Zeros([2], DType.Float32, Device.Cuda()));
        Assert.Contains("CUDA", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [GpuFact]
    public void MemoryStats_TrackAllocations_AndEmptyCacheReleases()
    {
        Cuda.Synchronize();
        var before = Cuda.MemoryStats();
        var t = Tensor.Zeros([1024, 1024], DType.Float32, Device.Cuda());
        var during = Cuda.MemoryStats();
        Assert.True(during.Allocated >= before.Allocated + 4L * 1024 * 1024);
        Assert.True(during.Reserved >= during.Allocated);
        t.Dispose();
        Cuda.EmptyCache();
        var after = Cuda.MemoryStats();
        Assert.Equal(before.Allocated, after.Allocated);
        Assert.True(after.PeakAllocated >= during.Allocated);
    }

    [GpuFact]
    public void BFloat16Matmul_OnCuda_MatchesFloat32OnCpu()
    {
        using var scope = new DisposeScope();
        using var gen = new Generator(7);
        var a = Tensor.Randn([64, 64], gen);
        var b = Tensor.Randn([64, 64], gen);
        var reference = a.MatMul(b);
        var onGpu = a.To(Device.Cuda(), DType.BFloat16).MatMul(b.To(Device.Cuda(), DType.BFloat16)).To(Device.Cpu, DType.Float32);
        Assert.True(onGpu.AllClose(reference, rtol: 5e-2, atol: 0.5));
    }

    [GpuFact]
    public void GeneratorOnCuda_StateRoundTripsExactly()
    {
        using var scope = new DisposeScope();
        using var gen = new Generator(3, Device.Cuda());
        var state = gen.GetState();
        var first = Tensor.Randn([8], gen, device: Device.Cuda()).Cpu().ToArray<float>();
        gen.SetState(state);
        var again = Tensor.Randn([8], gen, device: Device.Cuda()).Cpu().ToArray<float>();
        Assert.Equal(first, again);
    }
}
