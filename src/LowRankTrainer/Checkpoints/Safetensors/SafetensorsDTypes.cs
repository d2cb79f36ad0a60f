using System.Diagnostics.CodeAnalysis;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Checkpoints.Safetensors;

/// <summary>
/// The safetensors dtype codes (the <c>Dtype</c> enum of huggingface/safetensors,
/// <c>safetensors/src/tensor.rs</c>) and how they map to the binding's <see cref="DType"/>.
/// </summary>
public static class SafetensorsDTypes
{
    // Every whole-byte dtype of the reference, with its element size. The reader needs the size of
    // dtypes it cannot load too, so it can validate (and list) a file that holds, say, an I8 tensor.
    // Sub-byte codes (F4, F6_E2M3, F6_E3M2) are packed and left out: the reader rejects them as unknown.
    private static readonly Dictionary<string, int> Sizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["F8_E8M0"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["F64"] = 8, ["I64"] = 8, ["U64"] = 8, ["C64"] = 8,
    };

    /// <summary>The safetensors code of a binding dtype, e.g. <c>F32</c> for <see cref="DType.Float32"/>.</summary>
    public static string Code(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.BFloat16 => "BF16",
        DType.Float16 => "F16",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Bool => "BOOL",
        DType.UInt8 => "U8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors code for this dtype"),
    };

    /// <summary>The binding dtype of a safetensors code, or false for codes the binding has no dtype for (I8, U16, ...).</summary>
    public static bool TryGetDType(string code, out DType dtype)
    {
        ArgumentNullException.ThrowIfNull(code);
        DType? found = code switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            "BF16" => DType.BFloat16,
            "F16" => DType.Float16,
            "I64" => DType.Int64,
            "I32" => DType.Int32,
            "BOOL" => DType.Bool,
            "U8" => DType.UInt8,
            _ => null,
        };
        dtype = found.GetValueOrDefault();
        return found.HasValue;
    }

    /// <summary>Bytes per element of a safetensors code, or false for a code this reader does not know.</summary>
    public static bool TryGetElementSize(string code, out int size) => Sizes.TryGetValue(code, out size);

    /// <summary>
    /// The writer's ordering key: the position of the dtype in the reference's <c>Dtype</c> enum,
    /// which is declared in increasing alignment order. The reference writer sorts tensors by this
    /// rank descending, then by name, so 8-byte elements come first and every tensor's data stays
    /// aligned to its element size (the header is padded to a multiple of 8).
    /// </summary>
    internal static int AlignmentRank(DType dtype) => dtype switch
    {
        DType.Bool => 0,
        DType.UInt8 => 1,
        DType.Float16 => 2,
        DType.BFloat16 => 3,
        DType.Int32 => 4,
        DType.Float32 => 5,
        DType.Float64 => 6,
        DType.Int64 => 7,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors code for this dtype"),
    };

    [DoesNotReturn]
    internal static void ThrowBigEndian() =>
        throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported");
}
