using LowRankTrainer.Torch;

namespace LowRankTrainer.Cli.Tests;

/// <summary>A fact that needs a CUDA device; skipped with the reason where there is none (as LowRankTrainer.Tests' own).</summary>
internal sealed class GpuFactAttribute : FactAttribute
{
    /// <summary>Skips unless libtorch sees a GPU.</summary>
    public GpuFactAttribute()
    {
        if (Cuda.IsAvailable) return;
        var info = TorchRuntime.GetBuildInfo();
        Skip = info.CudaCompiled
            ? $"no CUDA: libtorch {info.TorchVersion} has CUDA but sees no GPU"
            : $"no CUDA: the shim was built against a CPU-only libtorch {info.TorchVersion}";
    }
}

/// <summary>A fact about behaviour without CUDA; skipped where a GPU is present.</summary>
internal sealed class NoGpuFactAttribute : FactAttribute
{
    /// <summary>Skips where libtorch sees a GPU.</summary>
    public NoGpuFactAttribute()
    {
        if (Cuda.IsAvailable) Skip = "a CUDA device is present; this checks the behaviour without one";
    }
}
