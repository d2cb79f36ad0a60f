using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// Creation: the counterparts of torch.zeros, torch.arange, torch.randn, torch.tensor, ...
// Shapes are passed as spans (params), so Tensor.Zeros(2, 3) and Tensor.Zeros([2, 3], DType.Float64) both read naturally.
public sealed unsafe partial class Tensor
{
    private static Tensor FromShape(ReadOnlySpan<long> shape, DType dtype, Device device,
                                    delegate*<long*, int, int, int, int, nint*, int> factory)
    {
        nint r;
        fixed (long* p = shape)
        {
            return Wrap(factory(p, shape.Length, (int)dtype, (int)device.Type, device.Index, &r), r);
        }
    }

    /// <summary>An uninitialised float32 CPU tensor.</summary>
    public static Tensor Empty(params ReadOnlySpan<long> shape) => Empty(shape, DType.Float32);

    /// <summary>An uninitialised tensor.</summary>
    public static Tensor Empty(ReadOnlySpan<long> shape, DType dtype, Device device = default) =>
        FromShape(shape, dtype, device, &NativeMethods.ts_empty);

    /// <summary>A float32 CPU tensor of zeros.</summary>
    public static Tensor Zeros(params ReadOnlySpan<long> shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(ReadOnlySpan<long> shape, DType dtype, Device device = default) =>
        FromShape(shape, dtype, device, &NativeMethods.ts_zeros);

    /// <summary>A float32 CPU tensor of ones.</summary>
    public static Tensor Ones(params ReadOnlySpan<long> shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(ReadOnlySpan<long> shape, DType dtype, Device device = default) =>
        FromShape(shape, dtype, device, &NativeMethods.ts_ones);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(ReadOnlySpan<long> shape, Scalar value, DType dtype = DType.Float32, Device device = default)
    {
        nint r;
        fixed (long* p = shape)
        {
            return Wrap(NativeMethods.ts_full(p, shape.Length, (int)dtype, (int)device.Type, device.Index, value, &r), r);
        }
    }

    /// <summary>Values start, start+step, ... below end (torch.arange).</summary>
    public static Tensor Arange(Scalar start, Scalar end, Scalar step, DType dtype, Device device = default)
    {
        nint r;
        return Wrap(NativeMethods.ts_arange(start, end, step, (int)dtype, (int)device.Type, device.Index, &r), r);
    }

    /// <summary>0, 1, ..., end-1 as int64 (torch.arange(end)).</summary>
    public static Tensor Arange(long end) => Arange(0L, end, 1L, DType.Int64);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor Linspace(double start, double end, long steps, DType dtype = DType.Float32, Device device = default)
    {
        nint r;
        return Wrap(NativeMethods.ts_linspace(start, end, steps, (int)dtype, (int)device.Type, device.Index, &r), r);
    }

    /// <summary>An n×m matrix with ones on the diagonal (m defaults to n).</summary>
    public static Tensor Eye(long n, long? m = null, DType dtype = DType.Float32, Device device = default)
    {
        nint r;
        return Wrap(NativeMethods.ts_eye(n, m ?? n, (int)dtype, (int)device.Type, device.Index, &r), r);
    }

    /// <summary>Zeros with this tensor's shape, dtype and device.</summary>
    public Tensor ZerosLike()
    {
        nint r;
        return Wrap(NativeMethods.ts_zeros_like(Handle, &r), r);
    }

    /// <summary>Ones with this tensor's shape, dtype and device.</summary>
    public Tensor OnesLike()
    {
        nint r;
        return Wrap(NativeMethods.ts_ones_like(Handle, &r), r);
    }

    /// <summary>Copies .NET data into a new tensor of the given shape (the dtype follows <typeparamref name="T"/>).</summary>
    public static Tensor From<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device device = default) where T : unmanaged
    {
        var dtype = DTypeInfo.Of<T>();
        nint r;
        fixed (T* d = data)
        fixed (long* s = shape)
        {
            return Wrap(NativeMethods.ts_from_data(d, (long)data.Length * sizeof(T), s, shape.Length, (int)dtype, (int)device.Type, device.Index, &r), r);
        }
    }

    /// <summary>A 1-D tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor From<T>(params ReadOnlySpan<T> data) where T : unmanaged => From(data, [data.Length]);

    /// <summary>A 0-dim tensor holding one value.</summary>
    public static Tensor ScalarTensor(double value, DType dtype = DType.Float32, Device device = default) =>
        Full([], value, dtype, device);

    // ---- random (each takes an optional generator; null means the device's default generator) ----

    private static Tensor FromShape(ReadOnlySpan<long> shape, DType dtype, Device device, Generator? generator,
                                    delegate*<long*, int, int, int, int, nint, nint*, int> factory)
    {
        nint r;
        fixed (long* p = shape)
        {
            return Wrap(factory(p, shape.Length, (int)dtype, (int)device.Type, device.Index, generator?.Handle ?? 0, &r), r);
        }
    }

    /// <summary>Uniform samples from [0, 1).</summary>
    public static Tensor Rand(ReadOnlySpan<long> shape, Generator? generator = null, DType dtype = DType.Float32, Device device = default) =>
        FromShape(shape, dtype, device, generator, &NativeMethods.ts_rand);

    /// <summary>Standard normal samples.</summary>
    public static Tensor Randn(ReadOnlySpan<long> shape, Generator? generator = null, DType dtype = DType.Float32, Device device = default) =>
        FromShape(shape, dtype, device, generator, &NativeMethods.ts_randn);

    /// <summary>Uniform integers from [low, high).</summary>
    public static Tensor RandInt(long low, long high, ReadOnlySpan<long> shape, Generator? generator = null, DType dtype = DType.Int64, Device device = default)
    {
        nint r;
        fixed (long* p = shape)
        {
            return Wrap(NativeMethods.ts_randint(low, high, p, shape.Length, (int)dtype, (int)device.Type, device.Index, generator?.Handle ?? 0, &r), r);
        }
    }

    /// <summary>A random permutation of 0..n-1.</summary>
    public static Tensor RandPerm(long n, Generator? generator = null, DType dtype = DType.Int64, Device device = default)
    {
        nint r;
        return Wrap(NativeMethods.ts_randperm(n, (int)dtype, (int)device.Type, device.Index, generator?.Handle ?? 0, &r), r);
    }

    /// <summary>Fills in place with uniform samples from [from, to).</summary>
    public Tensor Uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        ShimLibrary.Check(NativeMethods.ts_uniform_(Handle, from, to, generator?.Handle ?? 0));
        return this;
    }

    /// <summary>Fills in place with normal samples N(mean, std²).</summary>
    public Tensor Normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        ShimLibrary.Check(NativeMethods.ts_normal_(Handle, mean, std, generator?.Handle ?? 0));
        return this;
    }
}
