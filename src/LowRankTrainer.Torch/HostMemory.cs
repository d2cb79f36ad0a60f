using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch;

/// <summary>
/// Bytes the C heap has handed out and not taken back, from glibc's <c>mallinfo2()</c>: the in-use chunks of every
/// arena (<c>uordblks</c>) plus the chunks served by mmap (<c>hblkhd</c>). libtorch allocates CPU tensors with
/// malloc, so this is the CPU counterpart of <c>torch.cuda.memory_allocated()</c>: unlike the resident set, it
/// drops when a tensor is freed even though glibc keeps the pages (see <see cref="TorchRuntime.MallocTuned"/>).
/// The .NET heap is not counted (it does not use malloc).
/// </summary>
public static partial class HostMemory
{
    private static bool _unavailable;

    /// <summary>Bytes in use on the C heap, or null where glibc's <c>mallinfo2</c> (2.33+) is not available.</summary>
    /// <remarks>mallinfo2 walks every arena's free lists, so call it at a few points per step, not per op.</remarks>
    public static long? HeapInUseBytes()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return null;
        try
        {
            var info = mallinfo2();
            return checked((long)(info.Uordblks + info.Hblkhd));
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true; // musl or an older glibc
            return null;
        }
    }

    // struct mallinfo2 { size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost; }
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }

    [LibraryImport("libc.so.6")]
    private static partial MallInfo2 mallinfo2();
}
