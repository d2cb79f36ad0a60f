using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests;

/// <summary>
/// A fact that needs a CUDA device; skipped where there is none, with the reason (a CPU-only libtorch, or one with CUDA
/// that sees no GPU), so a CPU run's output says what was not checked.
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    /// <summary>Skips unless libtorch sees a GPU.</summary>
    public GpuFactAttribute()
    {
        if (SkipReason() is { } reason) Skip = reason;
    }

    /// <summary>Why CUDA tests cannot run here, or null where they can.</summary>
    public static string? SkipReason()
    {
        if (Cuda.IsAvailable) return null;
        var info = TorchRuntime.GetBuildInfo();
        return info.CudaCompiled
            ? $"no CUDA: libtorch {info.TorchVersion} has CUDA but sees no GPU"
            : $"no CUDA: the shim was built against a CPU-only libtorch {info.TorchVersion}";
    }
}

/// <summary>A theory that needs a CUDA device; skipped with the reason where there is none (see <see cref="GpuFactAttribute"/>).</summary>
public sealed class GpuTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips unless libtorch sees a GPU.</summary>
    public GpuTheoryAttribute()
    {
        if (GpuFactAttribute.SkipReason() is { } reason) Skip = reason;
    }
}

/// <summary>A fact about behaviour without CUDA; skipped where a GPU is present.</summary>
public sealed class NoGpuFactAttribute : FactAttribute
{
    /// <summary>Skips where libtorch sees a GPU.</summary>
    public NoGpuFactAttribute()
    {
        if (Cuda.IsAvailable) Skip = "a CUDA device is present; this checks the behaviour without one";
    }
}
