// P/Invoke declarations for src/native/shim_linalg.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_matmul(nint a, nint b, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_mm(nint a, nint b, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_bmm(nint a, nint b, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_linear(nint x, nint w, nint b, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_outer(nint a, nint b, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_einsum(byte* equation, nint* ts, int n, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_linalg_solve(nint a, nint b, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_linalg_inv(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_linalg_svd(nint a, int full_matrices, nint* u, nint* s, nint* vh);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_linalg_qr(nint a, int complete, nint* q, nint* r);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_linalg_eigh(nint a, nint* eigenvalues, nint* eigenvectors);
}
