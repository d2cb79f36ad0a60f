using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

/// <summary>What the loaded shim was built against and sees at run time.</summary>
/// <param name="TorchVersion">libtorch's version string (Debian's 1.13.1 reports "1.13.0").</param>
/// <param name="CudaCompiled">Whether the shim was built with the CUDA surface.</param>
/// <param name="CudaAvailable">Whether libtorch sees a CUDA device.</param>
/// <param name="CudaDeviceCount">Number of visible CUDA devices.</param>
/// <param name="Cxx11Abi">The _GLIBCXX_USE_CXX11_ABI value the shim was compiled with.</param>
/// <param name="Blas">The BLAS libraries mapped into the process (real paths, ';'-separated).</param>
/// <param name="IntraOpThreads">libtorch's intra-op thread count.</param>
public sealed record BuildInfo(string TorchVersion, bool CudaCompiled, bool CudaAvailable, int CudaDeviceCount,
                               int Cxx11Abi, string Blas, int IntraOpThreads)
{
    /// <summary>The numeric release of <see cref="TorchVersion"/> ("2.11.0+cu130" → 2.11.0), for version checks; 0.0 if unreadable.</summary>
    public Version TorchRelease => Version.TryParse(TorchVersion.Split('+', '-')[0], out var v) ? v : new Version(0, 0);

    /// <summary>True when the reference (netlib) BLAS is loaded instead of an optimised one: 10× slower matmuls.</summary>
    public bool UsesReferenceBlas =>
        Blas.Split(';').Any(p => p.Contains("/blas/libblas", StringComparison.Ordinal)) &&
        !Blas.Contains("openblas", StringComparison.Ordinal);
}

/// <summary>
/// Process-wide libtorch settings: seeds, threads, denormals, the allocator, and build information.
/// Defaults applied when the shim loads: denormals flushed to zero (they are 100× slower on x86
/// and irrelevant to training), intra-op threads = <c>LRT_NUM_THREADS</c> or the processor count,
/// glibc malloc told to keep freed memory (see <see cref="MallocTuned"/>), and a warning on stderr
/// if the reference BLAS is in use.
/// </summary>
public static unsafe class TorchRuntime
{
    private static int _defaultsApplied;

    internal static void ApplyDefaults()
    {
        if (Interlocked.Exchange(ref _defaultsApplied, 1) != 0) return;
        int supported;
        ShimLibrary.Check(NativeMethods.ts_set_flush_denormal(1, &supported));
        var fromEnv = Environment.GetEnvironmentVariable("LRT_NUM_THREADS");
        var threads = int.TryParse(fromEnv, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : Environment.ProcessorCount;
        ShimLibrary.Check(NativeMethods.ts_set_num_threads(threads));
        if (MallocTuningWanted())
        {
            int applied;
            ShimLibrary.Check(NativeMethods.ts_tune_malloc(MallocMmapThreshold, MallocTrimThreshold, &applied));
            MallocTuned = applied != 0;
        }
        if (GetBuildInfo().UsesReferenceBlas)
        {
            Console.Error.WriteLine("warning: libtorch is using the reference BLAS (10x slower); " +
                                    "install libopenblas0-pthread (tools/setup.sh does)");
        }
    }

    // 32 MiB is glibc's largest mmap threshold on 64-bit; 1 GiB of freed heap may stay mapped.
    private const long MallocMmapThreshold = 32L << 20;
    private const long MallocTrimThreshold = 1L << 30;

    /// <summary>
    /// True when glibc malloc was told to keep freed memory: libtorch's CPU allocator is plain
    /// malloc, and glibc otherwise returns the top of the heap to the kernel after every step and
    /// faults it back in on the next (~400 page faults per small MLP step; tools/bench/mlp_step).
    /// Off when <c>LRT_MALLOC_TUNING=0</c>, when <c>GLIBC_TUNABLES</c> sets malloc options, or
    /// when another allocator is preloaded (<c>LD_PRELOAD</c> naming jemalloc/tcmalloc/mimalloc).
    /// </summary>
    public static bool MallocTuned { get; private set; }

    private static bool MallocTuningWanted()
    {
        if (Environment.GetEnvironmentVariable("LRT_MALLOC_TUNING") == "0") return false;
        if (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { } tunables
            && tunables.Contains("malloc", StringComparison.Ordinal)) return false;
        var preload = Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "";
        return !(preload.Contains("jemalloc", StringComparison.Ordinal)
                 || preload.Contains("tcmalloc", StringComparison.Ordinal)
                 || preload.Contains("mimalloc", StringComparison.Ordinal));
    }

    /// <summary>Seeds the CPU generator and every CUDA generator (torch.manual_seed).</summary>
    public static void ManualSeed(ulong seed) => ShimLibrary.Check(NativeMethods.ts_manual_seed(seed));

    /// <summary>libtorch's intra-op thread count (also applied to OpenBLAS).</summary>
    public static int NumThreads
    {
        get
        {
            int r;
            ShimLibrary.Check(NativeMethods.ts_get_num_threads(&r));
            return r;
        }
        set => ShimLibrary.Check(NativeMethods.ts_set_num_threads(value));
    }

    /// <summary>Turns flushing of denormal floats to zero on or off; false if the CPU does not support it.</summary>
    public static bool SetFlushDenormal(bool on)
    {
        int supported;
        ShimLibrary.Check(NativeMethods.ts_set_flush_denormal(on ? 1 : 0, &supported));
        return supported != 0;
    }

    /// <summary>
    /// Makes libtorch choose deterministic algorithms, raising from ops that have none
    /// (<c>torch.use_deterministic_algorithms</c>); returns the previous setting. Process-wide.
    /// </summary>
    public static bool SetDeterministic(bool on)
    {
        int previous;
        ShimLibrary.Check(NativeMethods.ts_set_deterministic(on ? 1 : 0, &previous));
        return previous != 0;
    }

    /// <summary>The raw JSON the shim reports about itself.</summary>
    public static string BuildInfoJson() => ShimLibrary.ReadString(NativeMethods.ts_build_info);

    /// <summary>What the shim was built against (torch version, CUDA, ABI, BLAS, threads).</summary>
    public static BuildInfo GetBuildInfo()
    {
        using var doc = JsonDocument.Parse(BuildInfoJson());
        var r = doc.RootElement;
        return new BuildInfo(
            r.GetProperty("torch_version").GetString() ?? "",
            r.GetProperty("cuda_compiled").GetBoolean(),
            r.GetProperty("cuda_available").GetBoolean(),
            r.GetProperty("cuda_device_count").GetInt32(),
            r.GetProperty("cxx11_abi").GetInt32(),
            r.GetProperty("blas").GetString() ?? "",
            r.GetProperty("intra_op_threads").GetInt32());
    }
}
