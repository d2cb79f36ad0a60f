// P/Invoke declarations for src/native/shim_index.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_index_select(nint a, long dim, nint index, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_gather(nint a, long dim, nint index, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_scatter(nint a, long dim, nint index, nint src, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_scatter_scalar(nint a, long dim, nint index, Scalar value, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_scatter_add(nint a, long dim, nint index, nint src, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_masked_fill(nint a, nint mask, Scalar value, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_where(nint cond, nint a, nint b, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_masked_select(nint a, nint mask, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_index_tensor(nint a, nint index, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_index_put_(nint a, nint index, nint values);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_masked_fill_(nint a, nint mask, Scalar value);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_one_hot(nint a, long num_classes, nint* @out);
}
