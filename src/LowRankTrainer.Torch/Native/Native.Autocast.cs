// P/Invoke declarations for src/native/shim_autocast.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_autocast_enter(int deviceType, int dtype, int* prevEnabled, int* prevDtype);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_autocast_exit(int deviceType, int prevEnabled, int prevDtype);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_autocast_is_enabled(int deviceType, int* @out);
}
