// P/Invoke declarations for src/native/shim_create.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_empty(long* shape, int ndim, int dtype, int devtype, int devidx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_zeros(long* shape, int ndim, int dtype, int devtype, int devidx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_ones(long* shape, int ndim, int dtype, int devtype, int devidx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_full(long* shape, int ndim, int dtype, int devtype, int devidx, Scalar value, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_arange(Scalar start, Scalar end, Scalar step, int dtype, int devtype, int devidx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_linspace(double start, double end, long steps, int dtype, int devtype, int devidx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_eye(long n, long m, int dtype, int devtype, int devidx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_zeros_like(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_ones_like(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_clone(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_alias(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_to(nint a, int dtype, int devtype, int devidx, int copy, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_from_data(void* data, long nbytes, long* shape, int ndim, int dtype, int devtype, int devidx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_copy_to_host(nint a, void* dst, long nbytes);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_item_double(nint a, double* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_item_long(nint a, long* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_tensor_info(nint a, int* dtype, int* devtype, int* devidx, int* ndim, int* requires_grad);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_shape(nint a, long* buf, int cap, int* ndim);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_numel(nint a, long* @out);
}
