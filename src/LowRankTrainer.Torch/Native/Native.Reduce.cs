// P/Invoke declarations for src/native/shim_reduce.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_sum_all(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_sum(nint a, long* dims, int ndims, int keepdim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_mean_all(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_mean(nint a, long* dims, int ndims, int keepdim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_max_all(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_min_all(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_prod_all(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_logsumexp(nint a, long* dims, int ndims, int keepdim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_norm(nint a, double p, long* dims, int ndims, int keepdim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_var(nint a, long* dims, int ndims, int keepdim, int unbiased, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_std(nint a, long* dims, int ndims, int keepdim, int unbiased, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_any(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_all(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_argmax(nint a, long dim, int keepdim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_argmin(nint a, long dim, int keepdim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_argmax_all(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cumsum(nint a, long dim, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_max_dim(nint a, long dim, int keepdim, nint* values, nint* indices);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_min_dim(nint a, long dim, int keepdim, nint* values, nint* indices);
}
