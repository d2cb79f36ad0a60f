using System.Net;
using System.Net.Sockets;
using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Distributed;

/// <summary>
/// A c10d process group over Gloo — PyTorch's own data-parallel engine on the CPU (what <c>torchrun</c> and DDP use),
/// reached through the shim: rank 0 serves a TCPStore at (host, port), every rank joins it, and the group then runs
/// collectives over TCP. Every call blocks until all ranks have made it, or fails after <see cref="Timeout"/> (a rank
/// that died, or never came) with Gloo's message, so a broken group never hangs.
/// </summary>
/// <remarks>
/// The collectives a data-parallel trainer needs (PyTorch DDP's): <see cref="AllReduce"/> of the trainable gradients
/// (sum or mean, flattened into buckets of <see cref="BucketCapBytes"/> so a bucket costs one message, as DDP's
/// <c>bucket_cap_mb</c>), <see cref="Broadcast"/> of the initial weights from rank 0, and <see cref="Barrier"/>.
/// Tensors must be contiguous CPU tensors; the calls change them in place.
/// </remarks>
public sealed unsafe class ProcessGroup : IDisposable
{
    /// <summary>DDP's default bucket size, 25 MiB.</summary>
    public const long DefaultBucketCapBytes = 25L << 20;

    private nint _handle;

    private ProcessGroup(nint handle, int rank, int worldSize, TimeSpan timeout)
    {
        _handle = handle;
        Rank = rank;
        WorldSize = worldSize;
        Timeout = timeout;
    }

    /// <summary>True when this shim was built with c10d Gloo (Debian: libgloo-dev present at build time).</summary>
    public static bool IsAvailable
    {
        get
        {
            int r;
            ShimLibrary.Check(NativeMethods.ts_dist_available(&r));
            return r != 0;
        }
    }

    /// <summary>This process's rank, 0 … <see cref="WorldSize"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public int WorldSize { get; }

    /// <summary>How long a rendezvous or collective may wait for the other ranks.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The most bytes one collective moves: larger tensor lists are split into buckets of this size.</summary>
    public long BucketCapBytes { get; set; } = DefaultBucketCapBytes;

    /// <summary>
    /// Joins the group of <paramref name="worldSize"/> ranks whose TCPStore rank 0 serves at
    /// <paramref name="host"/>:<paramref name="port"/> (torchrun's MASTER_ADDR / MASTER_PORT). Blocks until every rank
    /// has joined, at most <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="TorchException">No Gloo in this shim, the port is taken, or the other ranks did not come in time.</exception>
    public static ProcessGroup Join(string host, int port, int rank, int worldSize, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        var utf8 = ShimLibrary.Utf8Z(host);
        void* handle;
        fixed (byte* h = utf8)
        {
            ShimLibrary.Check(NativeMethods.ts_dist_init(h, port, rank, worldSize, (long)timeout.TotalMilliseconds, &handle));
        }
        return new ProcessGroup((nint)handle, rank, worldSize, timeout);
    }

    /// <summary>
    /// A TCP port free on the loopback interface now, for rank 0's store (torchrun's way: bind port 0 and let the kernel
    /// choose). Another process could take it before rank 0 binds it again; a fixed MASTER_PORT is there for whoever hits that.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Sums <paramref name="tensors"/> across the ranks in place; with <paramref name="mean"/>, divides by the world size (DDP's gradient average).</summary>
    public void AllReduce(IReadOnlyList<Tensor> tensors, bool mean = false)
    {
        var handles = Handles(tensors);
        fixed (nint* p = handles) ShimLibrary.Check(NativeMethods.ts_dist_all_reduce((void*)Live(), p, handles.Length, mean ? 1 : 0, BucketCapBytes));
    }

    /// <summary>Overwrites <paramref name="tensors"/> on every rank with rank <paramref name="root"/>'s values.</summary>
    public void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0)
    {
        var handles = Handles(tensors);
        fixed (nint* p = handles) ShimLibrary.Check(NativeMethods.ts_dist_broadcast((void*)Live(), p, handles.Length, root, BucketCapBytes));
    }

    /// <summary>Returns once every rank has called it.</summary>
    public void Barrier() => ShimLibrary.Check(NativeMethods.ts_dist_barrier((void*)Live()));

    /// <summary>Leaves the group (closes this rank's connections; the others' next collective then fails).</summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0) ShimLibrary.Check(NativeMethods.ts_dist_free((void*)handle));
    }

    private nint Live() => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(ProcessGroup));

    private static nint[] Handles(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var handles = new nint[tensors.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = tensors[i].Handle;
        return handles;
    }
}
