// P/Invoke declarations for src/native/shim_views.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_reshape(nint a, long* shape, int ndim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_view(nint a, long* shape, int ndim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_transpose(nint a, long d0, long d1, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_permute(nint a, long* dims, int ndim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_narrow(nint a, long dim, long start, long length, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_slice(nint a, long dim, long start, long end, long step, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_select(nint a, long dim, long index, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_unsqueeze(nint a, long dim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_squeeze(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_squeeze_dim(nint a, long dim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_expand(nint a, long* shape, int ndim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_flatten(nint a, long start, long end, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_contiguous(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cat(nint* ts, int n, long dim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_stack(nint* ts, int n, long dim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_is_contiguous(nint a, int* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_split(nint a, long size, long dim, nint* buf, int cap, int* count);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_split_sizes(nint a, long* sizes, int n, long dim, nint* buf, int cap, int* count);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_chunk(nint a, long chunks, long dim, nint* buf, int cap, int* count);
}
