// P/Invoke declarations for src/native/shim_dist.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_dist_available(int* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_dist_init(byte* host, int port, int rank, int world, long timeout_ms, void** @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_dist_free(void* group);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_dist_all_reduce(void* group, nint* tensors, int n, int mean, long cap_bytes);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_dist_broadcast(void* group, nint* tensors, int n, int root, long cap_bytes);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_dist_barrier(void* group);
}
