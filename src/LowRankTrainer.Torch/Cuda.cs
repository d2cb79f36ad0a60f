using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

/// <summary>Caching-allocator statistics of one CUDA device, in bytes.</summary>
public readonly record struct CudaMemoryStats(long Allocated, long PeakAllocated, long Reserved, long PeakReserved);

/// <summary>
/// The CUDA surface. On a CPU build (or a machine without a GPU) <see cref="IsAvailable"/> is false,
/// <see cref="DeviceCount"/> is 0, <see cref="EmptyCache"/> does nothing (as in PyTorch), and the
/// calls that need a device throw <see cref="CudaUnavailableException"/> ("no CUDA: ...").
/// </summary>
public static unsafe class Cuda
{
    /// <summary>True when libtorch has CUDA and sees at least one device.</summary>
    public static bool IsAvailable
    {
        get
        {
            int r;
            ShimLibrary.Check(NativeMethods.ts_cuda_is_available(&r));
            return r != 0;
        }
    }

    /// <summary>Number of visible CUDA devices.</summary>
    public static int DeviceCount
    {
        get
        {
            int r;
            ShimLibrary.Check(NativeMethods.ts_cuda_device_count(&r));
            return r;
        }
    }

    /// <summary>Waits for all work queued on the device (−1: the current device); do it before timing.</summary>
    public static void Synchronize(int device = -1) => ShimLibrary.Check(NativeMethods.ts_cuda_synchronize(device));

    /// <summary>Allocated and reserved bytes (current and peak) of the caching allocator.</summary>
    public static CudaMemoryStats MemoryStats(int device = 0)
    {
        var s = stackalloc long[4];
        ShimLibrary.Check(NativeMethods.ts_cuda_memory_stats(device, s));
        return new CudaMemoryStats(s[0], s[1], s[2], s[3]);
    }

    /// <summary>Resets the peak counters of <see cref="MemoryStats"/>.</summary>
    public static void ResetPeakMemoryStats(int device = 0) =>
        ShimLibrary.Check(NativeMethods.ts_cuda_reset_peak_memory_stats(device));

    /// <summary>Returns cached, unused blocks to the driver (other processes can then use them).</summary>
    public static void EmptyCache() => ShimLibrary.Check(NativeMethods.ts_cuda_empty_cache());

    /// <summary>
    /// Allows TF32 in cuBLAS matmuls and cuDNN convolutions (faster, ~10-bit mantissa; PyTorch's
    /// <c>torch.backends.cuda.matmul.allow_tf32</c> and <c>torch.backends.cudnn.allow_tf32</c>) and returns the previous
    /// cuBLAS setting. Process-wide; a no-op for CPU work.
    /// </summary>
    public static bool SetAllowTf32(bool allow)
    {
        int previous;
        ShimLibrary.Check(NativeMethods.ts_set_allow_tf32(allow ? 1 : 0, &previous));
        return previous != 0;
    }
}
