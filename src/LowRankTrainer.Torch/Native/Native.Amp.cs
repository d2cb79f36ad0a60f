// P/Invoke declarations for src/native/shim_amp.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_amp_unscale_grads(nint* @params, int n, double inv_scale, int* found_inf);
}
