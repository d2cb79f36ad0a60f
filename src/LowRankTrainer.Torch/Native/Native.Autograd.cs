// P/Invoke declarations for src/native/shim_autograd.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_set_requires_grad(nint a, int on);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_set_grad(nint a, nint g);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_detach(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_detach_(nint a);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_grad_fn_name(nint a, byte* buf, int cap, int* needed);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_is_leaf(nint a, int* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_backward(nint a, nint gradient, int retain_graph, int create_graph);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_grad(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_zero_grad(nint* ts, int n, int set_to_none);
}
