using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests;

/// <summary>A fact that needs a CUDA device; skipped, with the reason, where there is none.</summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (!Cuda.IsAvailable)
        {
            var info = TorchRuntime.GetBuildInfo();
            Skip = info.CudaCompiled
                ? "no CUDA: the shim has CUDA support but libtorch sees no GPU"
                : $"no CUDA: the shim was built against a CPU-only libtorch {info.TorchVersion}";
        }
    }
}

/// <summary>A fact about behaviour without CUDA; skipped where a GPU is present.</summary>
public sealed class NoGpuFactAttribute : FactAttribute
{
    public NoGpuFactAttribute()
    {
        if (Cuda.IsAvailable) Skip = "a CUDA device is present; this checks the no-CUDA behaviour";
    }
}
