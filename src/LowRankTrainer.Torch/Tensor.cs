using System.Runtime.CompilerServices;
using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

/// <summary>
/// An owned handle on a libtorch tensor. Every tensor-returning operation yields a new
/// <see cref="Tensor"/> that must be disposed — explicitly, or by the enclosing
/// <see cref="DisposeScope"/>; in-place operations (trailing underscore, as in PyTorch) return
/// <c>this</c> and mint nothing.
/// </summary>
/// <remarks>
/// The handle is a heap <c>at::Tensor*</c> in the shim (a reference-counted pointer to the storage),
/// so views and aliases are independent handles on shared storage. Using a disposed tensor throws
/// <see cref="ObjectDisposedException"/>; disposing twice is a no-op.
/// </remarks>
public sealed unsafe partial class Tensor : IDisposable
{
    private nint _handle;
    private HandleGuard? _guard;
    private long[]? _shape;
    // dtype | device type << 8 | device index << 16, read once on first use (a handle never changes
    // dtype or device); -1 until then. One int keeps the object small: one is allocated per op.
    private int _meta = -1;

    internal DisposeScope? Scope;
    internal int ScopeSlot;

    internal Tensor(nint handle)
    {
        _handle = handle;
        DisposeScope.Register(this);
    }

    /// <summary>Wraps the result of a tensor-returning shim call, throwing on a failed status.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor Wrap(int status, nint handle)
    {
        ShimLibrary.Check(status);
        return new Tensor(handle);
    }

    /// <summary>The native handle; throws if the tensor was disposed.</summary>
    internal nint Handle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _handle != 0 ? _handle : ThrowDisposed();
    }

    private static nint ThrowDisposed() =>
        throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (explicitly or by its DisposeScope)");

    /// <summary>True once the handle was released.</summary>
    public bool IsDisposed => _handle == 0;

    /// <summary>Number of tensor handles alive in the shim (all threads); leak tests compare it with a baseline.</summary>
    public static long LiveCount => NativeMethods.ts_live_tensors();

    /// <summary>References held on the underlying TensorImpl (diagnostics: handles, aliases, autograd).</summary>
    internal long UseCount
    {
        get
        {
            long n;
            ShimLibrary.Check(NativeMethods.ts_use_count(Handle, &n));
            return n;
        }
    }

    internal void ArmGuard() => _guard = HandleGuard.Rent(_handle);

    /// <summary>Releases the native handle (the storage is freed when no other handle shares it).</summary>
    public void Dispose()
    {
        var h = _handle;
        if (h == 0) return;
        _handle = 0;
        if (_guard is not null)
        {
            _guard.Dispose();
            _guard = null;
        }
        NativeMethods.ts_tensor_free(h);
    }

    /// <summary>Removes the tensor from its scope so it outlives it (long-lived state); returns this.</summary>
    public Tensor DetachFromScope()
    {
        if (Scope is not null)
        {
            Scope.Forget(this);
            ArmGuard();
        }
        return this;
    }

    /// <summary>Moves the tensor from its scope to the enclosing one (or out of scoping entirely); returns this.</summary>
    public Tensor MoveToOuterScope()
    {
        var scope = Scope;
        if (scope is null) return this;
        scope.Forget(this);
        if (scope.Outer is { } outer) outer.Adopt(this);
        else ArmGuard();
        return this;
    }

    private void LoadInfo()
    {
        int dtype, devType, devIndex, ndim, requiresGrad;
        ShimLibrary.Check(NativeMethods.ts_tensor_info(Handle, &dtype, &devType, &devIndex, &ndim, &requiresGrad));
        if (dtype < 0) throw new NotSupportedException("the tensor has a dtype the binding does not expose");
        _meta = dtype | (devType << 8) | (devIndex << 16);
    }

    /// <summary>Element type.</summary>
    public DType DType
    {
        get
        {
            if (_meta < 0) LoadInfo();
            return (DType)(_meta & 0xFF);
        }
    }

    /// <summary>The device holding the elements.</summary>
    public Device Device
    {
        get
        {
            if (_meta < 0) LoadInfo();
            return new Device((DeviceType)((_meta >> 8) & 0xFF), _meta >> 16);
        }
    }

    /// <summary>The sizes of each dimension (a copy).</summary>
    public long[] Shape => (long[])ShapeRef.Clone();

    private long[] ShapeRef
    {
        get
        {
            if (_shape is not null) return _shape;
            Span<long> buf = stackalloc long[16];
            int ndim;
            int status;
            fixed (long* p = buf) status = NativeMethods.ts_shape(Handle, p, buf.Length, &ndim);
            if (status == 4)
            {
                var big = new long[ndim];
                fixed (long* p = big) ShimLibrary.Check(NativeMethods.ts_shape(Handle, p, big.Length, &ndim));
                return _shape = big;
            }
            ShimLibrary.Check(status);
            return _shape = buf[..ndim].ToArray();
        }
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => ShapeRef.Length;

    /// <summary>Size of one dimension; negative dims count from the end.</summary>
    public long Size(int dim)
    {
        var shape = ShapeRef;
        var d = dim < 0 ? dim + shape.Length : dim;
        if ((uint)d >= (uint)shape.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dimension out of range for a tensor of rank {shape.Length}");
        }
        return shape[d];
    }

    /// <summary>Total number of elements.</summary>
    public long NumEl
    {
        get
        {
            long n = 1;
            foreach (var s in ShapeRef) n *= s;
            return n;
        }
    }

    /// <summary>Converts to another dtype (a new tensor; a copy unless the dtype already matches).</summary>
    public Tensor To(DType dtype) => To(Device, dtype);

    /// <summary>Moves to another device.</summary>
    public Tensor To(Device device) => To(device, DType);

    /// <summary>Moves to a device and converts to a dtype in one step.</summary>
    public Tensor To(Device device, DType dtype, bool copy = false)
    {
        nint r;
        return Wrap(NativeMethods.ts_to(Handle, (int)dtype, (int)device.Type, device.Index, copy ? 1 : 0, &r), r);
    }

    /// <summary>A copy on the host.</summary>
    public Tensor Cpu() => To(Device.Cpu);

    /// <summary>A deep copy (gradients flow back to this tensor).</summary>
    public Tensor Clone()
    {
        nint r;
        return Wrap(NativeMethods.ts_clone(Handle, &r), r);
    }

    /// <summary>A new handle on the same tensor (same storage, same autograd identity).</summary>
    public Tensor Alias()
    {
        nint r;
        return Wrap(NativeMethods.ts_alias(Handle, &r), r);
    }

    /// <summary>Copies the elements, row-major, into a new array whose element type matches <see cref="DType"/>.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[NumEl];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>
    /// Copies the elements, row-major, into <paramref name="destination"/>, which must be exactly
    /// <see cref="NumEl"/> long with an element type matching <see cref="DType"/>.
    /// </summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var expected = DTypeInfo.Of<T>();
        if (expected != DType)
        {
            throw new InvalidOperationException(
                $"copying out as {typeof(T).Name} needs a {expected.TorchName()} tensor, this one is {DType.TorchName()} (convert with To(DType) first)");
        }
        fixed (T* p = destination)
        {
            ShimLibrary.Check(NativeMethods.ts_copy_to_host(Handle, p, (long)destination.Length * sizeof(T)));
        }
    }

    /// <summary>The value of a one-element tensor as a double.</summary>
    public double ToDouble()
    {
        double v;
        ShimLibrary.Check(NativeMethods.ts_item_double(Handle, &v));
        return v;
    }

    /// <summary>The value of a one-element tensor as an int64.</summary>
    public long ToInt64()
    {
        long v;
        ShimLibrary.Check(NativeMethods.ts_item_long(Handle, &v));
        return v;
    }

    /// <summary>The value of a one-element tensor as a float.</summary>
    public float ToSingle() => (float)ToDouble();

    /// <summary>The truth of a one-element tensor: nonzero (or NaN) is true, as Python's bool(tensor).</summary>
    public bool ToBoolean() => ToDouble() != 0;
}
