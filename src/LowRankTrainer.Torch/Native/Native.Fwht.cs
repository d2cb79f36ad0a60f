// P/Invoke declarations for src/native/shim_fwht.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_fwht(nint a, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_fwht_(nint a);
}
