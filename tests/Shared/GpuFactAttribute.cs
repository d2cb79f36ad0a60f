using LowRankTrainer.Torch;

namespace LowRankTrainer.TestSupport;

/// <summary>
/// Why a test that needs a CUDA device cannot run here (null when it can): a CPU-only libtorch (Debian's: CI), or a
/// CUDA libtorch that sees no GPU. Compiled into each test project (tests/Directory.Build.props), hence internal.
/// </summary>
internal static class GpuSkip
{
    public static string? Reason()
    {
        if (Cuda.IsAvailable) return null;
        var info = TorchRuntime.GetBuildInfo();
        return info.CudaCompiled
            ? $"no CUDA: libtorch {info.TorchVersion} has CUDA but sees no GPU"
            : $"no CUDA: the shim was built against a CPU-only libtorch {info.TorchVersion}";
    }
}

/// <summary>A fact that needs a CUDA device; skipped, with the reason, where there is none.</summary>
internal sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (GpuSkip.Reason() is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs a CUDA device (see <see cref="GpuFactAttribute"/>).</summary>
internal sealed class GpuTheoryAttribute : TheoryAttribute
{
    public GpuTheoryAttribute()
    {
        if (GpuSkip.Reason() is { } reason) Skip = reason;
    }
}

/// <summary>A fact about behaviour without CUDA; skipped where a GPU is present.</summary>
internal sealed class NoGpuFactAttribute : FactAttribute
{
    public NoGpuFactAttribute()
    {
        if (Cuda.IsAvailable) Skip = "a CUDA device is present; this checks the behaviour without one";
    }
}
