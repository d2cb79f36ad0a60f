// P/Invoke declarations for src/native/shim_cpu_memory.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cpu_memory_tracking_start();
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cpu_memory_stats(long* out3);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cpu_memory_reset_peak();
}
