// P/Invoke declarations for src/native/shim_fused_ce.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_fused_linear_cross_entropy(nint h, nint w, nint target, long ignore_index, long chunk_rows, nint* @out);
}
