using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void BuildInfo_ReportsVersionAbiAndThreads()
    {
        var info = TorchRuntime.GetBuildInfo();
        Assert.Matches(@"^\d+\.\d+\.\d+", info.TorchVersion);
        Assert.InRange(info.Cxx11Abi, 0, 1);
        Assert.Equal(TorchRuntime.NumThreads, info.IntraOpThreads);
        Assert.Equal(Cuda.IsAvailable, info.CudaAvailable);
        Assert.Equal(Cuda.DeviceCount, info.CudaDeviceCount);
    }

    [Fact]
    public void BuildInfo_FindsAnOptimisedBlas()
    {
        // tools/setup.sh selects OpenBLAS; the reference BLAS would make every matmul ~10x slower.
        var info = TorchRuntime.GetBuildInfo();
        Assert.False(info.UsesReferenceBlas, $"reference BLAS loaded: {info.Blas}");
    }

    [Fact]
    public void UsesReferenceBlas_RecognisesNetlibPathsOnly()
    {
        static BuildInfo With(string blas) => new("1.13.0", false, false, 0, 1, blas, 1);
        Assert.True(With("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0").UsesReferenceBlas);
        Assert.False(With("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3;/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0").UsesReferenceBlas);
        Assert.False(With("").UsesReferenceBlas);
    }

    [Fact]
    public void NumThreads_CanBeSetAndReadBack()
    {
        var saved = TorchRuntime.NumThreads;
        try
        {
            TorchRuntime.NumThreads = 1;
            Assert.Equal(1, TorchRuntime.NumThreads);
        }
        finally
        {
            TorchRuntime.NumThreads = saved;
        }
        Assert.Throws<TorchException>(() => TorchRuntime.NumThreads = 0);
    }

    [Fact]
    public void Defaults_UseTheConfiguredThreadCount()
    {
        var fromEnv = Environment.GetEnvironmentVariable("LRT_NUM_THREADS");
        var expected = int.TryParse(fromEnv, out var n) && n > 0 ? n : Environment.ProcessorCount;
        Assert.Equal(expected, TorchRuntime.GetBuildInfo().IntraOpThreads);
    }

    [Fact]
    public void FlushDenormal_TurnsSubnormalResultsIntoZero()
    {
        // 1e-39 is a float32 subnormal (the smallest normal is ~1.18e-38).
        using var tiny = Tensor.From(1e-39f);
        if (!TorchRuntime.SetFlushDenormal(true)) return; // CPU without FTZ/DAZ: nothing to check
        try
        {
            using (var flushed = tiny * 1f) Assert.Equal(0f, flushed.ToArray<float>()[0]);
            TorchRuntime.SetFlushDenormal(false);
            using (var kept = tiny * 1f) Assert.Equal(1e-39f, kept.ToArray<float>()[0]);
        }
        finally
        {
            TorchRuntime.SetFlushDenormal(true);
        }
    }

    [Fact]
    public void ManualSeed_RepeatsTheDefaultGeneratorStream()
    {
        using var scope = new DisposeScope();
        TorchRuntime.ManualSeed(42);
        var first = Tensor.Randn([5]).ToArray<float>();
        TorchRuntime.ManualSeed(42);
        var second = Tensor.Randn([5]).ToArray<float>();
        Assert.Equal(first, second);
    }

    [Fact]
    public void Defaults_TuneGlibcMalloc_UnlessOptedOut()
    {
        var optedOut = Environment.GetEnvironmentVariable("LRT_MALLOC_TUNING") == "0"
                       || (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Contains("malloc", StringComparison.Ordinal)
                       || (Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "").Contains("malloc", StringComparison.Ordinal);
        _ = TorchRuntime.NumThreads; // loads the shim, which applies the defaults
        Assert.Equal(!optedOut, TorchRuntime.MallocTuned);
    }
}
