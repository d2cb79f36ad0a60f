// P/Invoke declarations for src/native/shim_cuda.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cuda_is_available(int* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cuda_device_count(int* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cuda_synchronize(int device);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cuda_memory_stats(int device, long* out4);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cuda_reset_peak_memory_stats(int device);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cuda_empty_cache();
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_set_allow_tf32(int on, int* previous);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_set_deterministic(int on, int* previous);
}
