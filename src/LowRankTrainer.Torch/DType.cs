namespace LowRankTrainer.Torch;

/// <summary>Element types the binding exposes. The numeric codes are the shim's own (mapped explicitly in C++).</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (torch.float32).</summary>
    Float32 = 0,
    /// <summary>64-bit IEEE float (torch.float64).</summary>
    Float64 = 1,
    /// <summary>bfloat16: float32's exponent with a 7-bit mantissa (torch.bfloat16).</summary>
    BFloat16 = 2,
    /// <summary>IEEE half precision (torch.float16).</summary>
    Float16 = 3,
    /// <summary>64-bit signed integer (torch.int64), the dtype of indices.</summary>
    Int64 = 4,
    /// <summary>32-bit signed integer (torch.int32).</summary>
    Int32 = 5,
    /// <summary>Boolean (torch.bool), the dtype of masks and comparisons.</summary>
    Bool = 6,
    /// <summary>8-bit unsigned integer (torch.uint8), e.g. generator states and raw images.</summary>
    UInt8 = 7,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypeInfo
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.BFloat16 or DType.Float16 => 2,
        DType.Bool or DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for the floating-point dtypes (those that can require gradients).</summary>
    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float32 or DType.Float64 or DType.BFloat16 or DType.Float16;

    /// <summary>PyTorch's name for the dtype, e.g. <c>float32</c>.</summary>
    public static string TorchName(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.BFloat16 => "bfloat16",
        DType.Float16 => "float16",
        DType.Int64 => "int64",
        DType.Int32 => "int32",
        DType.Bool => "bool",
        DType.UInt8 => "uint8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The dtype whose elements are stored as the .NET type <typeparamref name="T"/>.</summary>
    internal static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        if (typeof(T) == typeof(Half)) return DType.Float16;
        if (typeof(T) == typeof(BFloat16)) return DType.BFloat16;
        throw new NotSupportedException($"no tensor dtype stores elements as {typeof(T).Name}");
    }
}
