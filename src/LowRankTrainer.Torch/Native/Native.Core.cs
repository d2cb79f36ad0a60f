// P/Invoke declarations for src/native/shim_core.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial byte* ts_last_error();
    [LibraryImport(ShimLibrary.Name)] internal static partial void ts_tensor_free(nint h);
    [LibraryImport(ShimLibrary.Name)] internal static partial long ts_live_tensors();
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_build_info(byte* buf, int cap, int* needed);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_set_num_threads(int n);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_get_num_threads(int* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_set_flush_denormal(int on, int* supported);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_set_grad_enabled(int enabled, int* previous);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_is_grad_enabled(int* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_use_count(nint a, long* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_tune_malloc(long mmap_threshold, long trim_threshold, int* applied);
}
