namespace LowRankTrainer.Checkpoints.Safetensors;

/// <summary>What is wrong with a safetensors file; the <see cref="SafetensorsFormatException.Error"/> of a rejection.</summary>
public enum SafetensorsError
{
    /// <summary>The file is shorter than the 8-byte header-length prefix.</summary>
    HeaderTooSmall,
    /// <summary>The declared header length exceeds the 100,000,000-byte limit the reference reader enforces.</summary>
    HeaderTooLarge,
    /// <summary>The declared header length runs past the end of the file (typically a truncated file).</summary>
    InvalidHeaderLength,
    /// <summary>The header bytes are not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>The header does not start with <c>{</c>.</summary>
    InvalidHeaderStart,
    /// <summary>The header is not valid JSON.</summary>
    InvalidJson,
    /// <summary>A tensor entry is not an object with <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> of the right JSON types.</summary>
    InvalidTensorEntry,
    /// <summary>A tensor's <c>dtype</c> is not a safetensors dtype code this reader knows.</summary>
    UnknownDType,
    /// <summary>A shape dimension is negative or not an integer, or the element count overflows.</summary>
    InvalidShape,
    /// <summary><c>data_offsets</c> is not two non-negative integers with begin ≤ end.</summary>
    InvalidOffsets,
    /// <summary>A tensor's byte range ends beyond the data buffer.</summary>
    OffsetOutOfBounds,
    /// <summary>A tensor's byte range length differs from element count × element size.</summary>
    SizeMismatch,
    /// <summary>Two tensors' byte ranges overlap.</summary>
    Overlap,
    /// <summary>Bytes of the data buffer between tensors belong to no tensor.</summary>
    Gap,
    /// <summary>The data buffer has bytes after the last tensor.</summary>
    IncompleteBuffer,
    /// <summary>A key appears twice in the header.</summary>
    DuplicateName,
    /// <summary><c>__metadata__</c> is not a map from strings to strings.</summary>
    InvalidMetadata,
    /// <summary>The tensor's dtype is valid safetensors but has no binding <see cref="LowRankTrainer.Torch.DType"/>.</summary>
    UnsupportedDType,
    /// <summary>A <c>BOOL</c> tensor holds a byte other than 0 or 1.</summary>
    InvalidBoolValue,
}

/// <summary>
/// A safetensors file that is malformed or holds something this reader cannot load. The message
/// names the file and, where one is involved, the tensor, with the offending numbers.
/// </summary>
public sealed class SafetensorsFormatException : Exception
{
    /// <summary>Creates the exception; the message is prefixed with the file path and the tensor name.</summary>
    public SafetensorsFormatException(SafetensorsError error, string filePath, string? tensorName, string detail)
        : base(Compose(filePath, tensorName, detail))
    {
        Error = error;
        FilePath = filePath;
        TensorName = tensorName;
    }

    internal SafetensorsFormatException(SafetensorsError error, string filePath, string? tensorName, string detail, Exception inner)
        : base(Compose(filePath, tensorName, detail), inner)
    {
        Error = error;
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>Which rule the file broke.</summary>
    public SafetensorsError Error { get; }

    /// <summary>The file that was rejected.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem concerns, or null for file-level problems.</summary>
    public string? TensorName { get; }

    private static string Compose(string filePath, string? tensorName, string detail) =>
        tensorName is null ? $"{filePath}: {detail}" : $"{filePath}: tensor '{tensorName}': {detail}";
}
