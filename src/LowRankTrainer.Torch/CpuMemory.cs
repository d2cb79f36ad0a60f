using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

/// <summary>Bytes held by CPU tensors now and at their peak since tracking started or the peak was last reset.</summary>
/// <param name="IsTracking">Whether <see cref="CpuMemory.StartTracking"/> has run in this process (both counts are 0 before).</param>
/// <param name="Allocated">Bytes of the counted storages alive now.</param>
/// <param name="PeakAllocated">The most bytes they held at once since tracking started or <see cref="CpuMemory.ResetPeak"/>.</param>
public readonly record struct CpuMemoryStats(bool IsTracking, long Allocated, long PeakAllocated);

/// <summary>
/// CPU tensor memory counted as CUDA's caching allocator counts GPU memory (<c>torch.cuda.memory_allocated</c> and
/// <c>max_memory_allocated</c>): the bytes of live tensor storages, not the C heap (<see cref="HostMemory"/>) nor the
/// resident set. libtorch keeps no such count on the CPU, so <see cref="StartTracking"/> puts a counting allocator in
/// front of libtorch's CPU allocator for the rest of the process. Storages allocated before that are never counted.
/// A Python process that loads the shim with ctypes after <c>import torch</c> (same libtorch) can call the same three
/// exports, which is how tools/bench/memory measures PyTorch beside lrt.
/// </summary>
public static unsafe class CpuMemory
{
    /// <summary>Starts counting (idempotent; it cannot be stopped). Costs one atomic add and one small heap block per storage.</summary>
    public static void StartTracking() => ShimLibrary.Check(NativeMethods.ts_cpu_memory_tracking_start());

    /// <summary>The current and peak counts.</summary>
    public static CpuMemoryStats Stats()
    {
        var s = stackalloc long[3];
        ShimLibrary.Check(NativeMethods.ts_cpu_memory_stats(s));
        return new CpuMemoryStats(s[0] != 0, s[1], s[2]);
    }

    /// <summary>Makes the peak the current allocation (<c>torch.cuda.reset_peak_memory_stats</c>).</summary>
    public static void ResetPeak() => ShimLibrary.Check(NativeMethods.ts_cpu_memory_reset_peak());
}
