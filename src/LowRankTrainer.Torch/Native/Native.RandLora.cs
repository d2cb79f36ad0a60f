// P/Invoke declarations for src/native/shim_randlora.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_randlora_branch(nint x, nint a, nint b, nint lambda, nint gamma, int transpose, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_randlora_saved_numel(nint @out, long* numel);
}
