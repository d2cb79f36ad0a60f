using System.Collections.Concurrent;
using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

/// <summary>
/// A per-thread scope that frees every tensor created while it is the innermost scope: wrap a
/// training step in <c>using var scope = new DisposeScope();</c> and its temporaries are released
/// deterministically when it ends.
/// </summary>
/// <remarks>
/// Scoping is dynamic (whatever runs on this thread inside the scope registers with it), so
/// long-lived state — parameters, buffers, optimizer state, metrics — must be created under
/// <see cref="Suspend"/> or released with <see cref="Tensor.DetachFromScope"/>;
/// <see cref="Tensor.MoveToOuterScope"/> hands a result to the enclosing scope. Scopes nest
/// strictly and belong to one thread; disposing out of order throws. Tensors outside any scope get
/// a finalizer-backed guard as a safety net only: its frees are queued and performed on a user
/// thread at the next scope exit (<see cref="FreePending"/>), never relied on for correctness.
/// </remarks>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;
    private static readonly ConcurrentQueue<nint> _pendingFrees = new();
    private static long _orphansFreed;

    private readonly DisposeScope? _outer;
    private readonly int _threadId;
    private readonly List<Tensor?> _items = new(64);
    private bool _disposed;

    /// <summary>Opens a scope and makes it the innermost one on this thread.</summary>
    public DisposeScope() : this(_current) { }

    private DisposeScope(DisposeScope? outer)
    {
        _outer = outer;
        _threadId = Environment.CurrentManagedThreadId;
        _current = this;
    }

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static DisposeScope? Current => _current;

    /// <summary>Number of tensors this scope will free (those still registered with it).</summary>
    public int Count
    {
        get
        {
            var n = 0;
            foreach (var t in _items)
            {
                if (t is not null && !t.IsDisposed) n++;
            }
            return n;
        }
    }

    /// <summary>
    /// Suspends scoping on this thread until the returned token is disposed: tensors created meanwhile
    /// join no scope (use it to create parameters, buffers and optimizer state inside a step).
    /// </summary>
    public static SuspendToken Suspend()
    {
        var saved = _current;
        _current = null;
        return new SuspendToken(saved);
    }

    /// <summary>Restores the scope that was current when <see cref="Suspend"/> was called.</summary>
    public readonly struct SuspendToken : IDisposable
    {
        private readonly DisposeScope? _saved;

        internal SuspendToken(DisposeScope? saved) => _saved = saved;

        /// <summary>Makes the suspended scope current again.</summary>
        public void Dispose() => _current = _saved;
    }

    internal static void Register(Tensor tensor)
    {
        var scope = _current;
        if (scope is null)
        {
            tensor.ArmGuard();
            if (!_pendingFrees.IsEmpty) FreePending();
            return;
        }
        tensor.Scope = scope;
        tensor.ScopeSlot = scope._items.Count;
        scope._items.Add(tensor);
    }

    /// <summary>Removes the tensor from this scope without freeing it.</summary>
    internal void Forget(Tensor tensor)
    {
        _items[tensor.ScopeSlot] = null;
        tensor.Scope = null;
    }

    /// <summary>Registers a tensor that left an inner scope with this one.</summary>
    internal void Adopt(Tensor tensor)
    {
        tensor.Scope = this;
        tensor.ScopeSlot = _items.Count;
        _items.Add(tensor);
    }

    internal DisposeScope? Outer => _outer;

    /// <summary>Frees every tensor still registered and makes the enclosing scope current again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (Environment.CurrentManagedThreadId != _threadId)
        {
            throw new InvalidOperationException("a DisposeScope must be disposed on the thread that opened it");
        }
        if (!ReferenceEquals(_current, this))
        {
            throw new InvalidOperationException("DisposeScopes must be disposed innermost first (an inner scope is still open)");
        }
        _disposed = true;
        foreach (var t in _items)
        {
            t?.Dispose();
        }
        _items.Clear();
        _current = _outer;
        if (!_pendingFrees.IsEmpty) FreePending();
    }

    /// <summary>Queues a handle whose owner was finalized; freed later on a user thread.</summary>
    internal static void QueueFree(nint handle) => _pendingFrees.Enqueue(handle);

    /// <summary>
    /// Diagnostics for leak checks, never for a hot path: runs a full garbage collection, waits for
    /// finalizers, and frees the handles of every tensor that was dropped without Dispose. After it,
    /// <see cref="Tensor.LiveCount"/> counts only tensors that are still reachable.
    /// </summary>
    public static int CollectOrphans()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return FreePending();
    }

    /// <summary>
    /// Handles freed by the safety net since the process started (all threads): tensors that were dropped
    /// without Dispose and outside any scope. A leak check that compares <see cref="Tensor.LiveCount"/> alone
    /// misses them, because the finalizer frees them sooner or later; this count rising during a loop means
    /// something in it relies on the garbage collector (the soak benchmark, tools/bench/soak.sh, reports it).
    /// </summary>
    public static long OrphansFreed => Interlocked.Read(ref _orphansFreed);

    /// <summary>Frees the handles of tensors that were garbage-collected without being disposed.</summary>
    public static int FreePending()
    {
        var n = 0;
        while (_pendingFrees.TryDequeue(out var h))
        {
            NativeMethods.ts_tensor_free(h);
            n++;
        }
        if (n > 0) Interlocked.Add(ref _orphansFreed, n);
        return n;
    }
}

/// <summary>
/// The GC safety net for a tensor outside any scope: if the tensor is dropped without Dispose, this
/// object's finalizer queues the handle for freeing. Scoped tensors never take one.
/// </summary>
/// <remarks>
/// Allocating a finalizable object is the expensive part (~90 ns, the finalization-queue
/// registration), so guards are recycled through a small per-thread pool: a pooled guard stays
/// reachable, hence stays registered for finalization, and is simply re-armed with a new handle.
/// Only a guard whose tensor became unreachable while armed is ever finalized.
/// </remarks>
internal sealed class HandleGuard : IDisposable
{
    private const int PoolCapacity = 1024;

    [ThreadStatic] private static Pool? _pool;

    public nint Handle;

    private HandleGuard(nint handle) => Handle = handle;

    private sealed class Pool
    {
        public readonly HandleGuard?[] Items = new HandleGuard?[PoolCapacity];
        public int Count;
    }

    /// <summary>An armed guard for <paramref name="handle"/>, recycled when one is available.</summary>
    public static HandleGuard Rent(nint handle)
    {
        var pool = _pool;
        if (pool is not null && pool.Count > 0)
        {
            var guard = pool.Items[--pool.Count]!;
            pool.Items[pool.Count] = null;
            guard.Handle = handle;
            return guard;
        }
        return new HandleGuard(handle);
    }

    /// <summary>The tensor was disposed properly: disarm, and keep the guard for reuse.</summary>
    public void Dispose()
    {
        Handle = 0;
        var pool = _pool ??= new Pool();
        if (pool.Count < PoolCapacity)
        {
            pool.Items[pool.Count++] = this;
        }
        else
        {
            GC.SuppressFinalize(this);
        }
    }

    ~HandleGuard()
    {
        if (Handle != 0) DisposeScope.QueueFree(Handle);
    }
}
