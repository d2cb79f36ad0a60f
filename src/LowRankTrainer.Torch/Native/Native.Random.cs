// P/Invoke declarations for src/native/shim_random.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_rand(long* shape, int ndim, int dtype, int devtype, int devidx, nint gen, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_randn(long* shape, int ndim, int dtype, int devtype, int devidx, nint gen, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_randint(long low, long high, long* shape, int ndim, int dtype, int devtype, int devidx, nint gen, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_randperm(long n, int dtype, int devtype, int devidx, nint gen, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_uniform_(nint a, double from, double to, nint gen);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_normal_(nint a, double mean, double std, nint gen);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_manual_seed(ulong seed);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_generator_new(int devtype, int devidx, ulong seed, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_generator_default(int devtype, int devidx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial void ts_generator_free(nint g);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_generator_set_seed(nint g, ulong seed);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_generator_initial_seed(nint g, ulong* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_generator_get_state(nint g, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_generator_set_state(nint g, nint state);
}
