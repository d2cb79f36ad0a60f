using LowRankTrainer.Torch;

namespace LowRankTrainer.Checkpoints.Safetensors;

/// <summary>
/// One tensor entry of a safetensors header: <c>"name": {"dtype": "F32", "shape": [2, 3],
/// "data_offsets": [begin, end]}</c>, the offsets counting bytes from the start of the data buffer
/// (the byte after the header), end exclusive.
/// </summary>
public sealed class SafetensorsTensorInfo
{
    internal SafetensorsTensorInfo(string name, string dtypeCode, int elementSize, long[] shape, long elementCount,
                                   long dataBegin, long dataEnd)
    {
        Name = name;
        DTypeCode = dtypeCode;
        ElementSize = elementSize;
        ShapeArray = shape;
        ElementCount = elementCount;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
        DType = SafetensorsDTypes.TryGetDType(dtypeCode, out var dtype) ? dtype : null;
    }

    /// <summary>The tensor's key in the header, e.g. <c>base_model.model.fc1.lora_A.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The safetensors dtype code as written in the file, e.g. <c>BF16</c>.</summary>
    public string DTypeCode { get; }

    /// <summary>The binding dtype, or null where the binding has none (the tensor is listed but cannot be loaded).</summary>
    public DType? DType { get; }

    /// <summary>Bytes per element.</summary>
    public int ElementSize { get; }

    /// <summary>The dimensions, outermost first; empty for a 0-dim (scalar) tensor.</summary>
    public IReadOnlyList<long> Shape => ShapeArray;

    internal long[] ShapeArray { get; }

    /// <summary>Product of the dimensions (1 for a scalar, 0 when any dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>First byte of the tensor, relative to the start of the data buffer.</summary>
    public long DataBegin { get; }

    /// <summary>One past the last byte of the tensor, relative to the start of the data buffer.</summary>
    public long DataEnd { get; }

    /// <summary><see cref="DataEnd"/> − <see cref="DataBegin"/>, equal to <see cref="ElementCount"/> × <see cref="ElementSize"/>.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DTypeCode} [{string.Join(", ", ShapeArray)}]";
}
