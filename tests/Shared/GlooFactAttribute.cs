using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Distributed;

namespace LowRankTrainer.TestSupport;

/// <summary>
/// Why a test that needs c10d Gloo cannot run here, or null when it can. A shim built against pip PyTorch (the CUDA
/// machine) has no Gloo: pip wheels ship libtorch's Gloo code but not gloo's headers, which libtorch's own headers
/// include, so shim_dist.cpp builds its "no c10d Gloo" answers. A CPU build (Debian, with libgloo-dev) must have it:
/// there the tests run and fail, rather than skip, when it is missing — a broken set-up must not pass quietly.
/// Compiled into each test project (tests/Directory.Build.props), hence internal.
/// </summary>
internal static class GlooSkip
{
    public static string? Reason { get; } = ProcessGroup.IsAvailable || !TorchRuntime.GetBuildInfo().CudaCompiled
        ? null
        : $"no c10d Gloo: the shim was built against pip PyTorch {TorchRuntime.GetBuildInfo().TorchVersion}, which ships no gloo headers";
}

/// <summary>A fact that needs c10d Gloo; skipped with the reason on a CUDA build without it (see <see cref="GlooSkip"/>).</summary>
internal sealed class GlooFactAttribute : FactAttribute
{
    public GlooFactAttribute()
    {
        if (GlooSkip.Reason is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs c10d Gloo (see <see cref="GlooFactAttribute"/>).</summary>
internal sealed class GlooTheoryAttribute : TheoryAttribute
{
    public GlooTheoryAttribute()
    {
        if (GlooSkip.Reason is { } reason) Skip = reason;
    }
}
