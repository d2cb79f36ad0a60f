using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace LowRankTrainer.Checkpoints.Safetensors;

/// <summary>A parsed and validated header: the tensors in data order and the <c>__metadata__</c> map.</summary>
internal sealed record SafetensorsHeader(long HeaderLength, IReadOnlyList<SafetensorsTensorInfo> Tensors,
                                         IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>File offset of the data buffer: the 8-byte length prefix plus the header.</summary>
    public long DataStart => 8 + HeaderLength;
}

/// <summary>
/// Parses and validates a safetensors header before any tensor data is touched, with the rules of
/// the reference reader (huggingface/safetensors, <c>SafeTensors::read_metadata</c> and
/// <c>Metadata::validate</c>) plus a few it leaves implicit (duplicate keys, bool bytes).
/// </summary>
internal static class SafetensorsHeaderParser
{
    /// <summary>The reference's <c>MAX_HEADER_SIZE</c>: a larger header is rejected before it is read.</summary>
    public const long MaxHeaderLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>Rejects a file too short to hold the 8-byte length prefix.</summary>
    public static SafetensorsFormatException TooSmall(string path, long fileLength) =>
        new(SafetensorsError.HeaderTooSmall, path, null,
            $"the file is {fileLength} bytes, shorter than the 8-byte header length that starts every safetensors file");

    /// <param name="head">The file's first bytes: at least the prefix and the whole header where the file holds them.</param>
    /// <param name="fileLength">The file's length in bytes.</param>
    /// <param name="path">The file, for messages.</param>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> head, long fileLength, string path)
    {
        if (fileLength < 8) throw TooSmall(path, fileLength);
        var declared = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (declared > MaxHeaderLength)
        {
            throw new SafetensorsFormatException(SafetensorsError.HeaderTooLarge, path, null,
                $"the header length prefix says {declared} bytes, above the {MaxHeaderLength}-byte limit (not a safetensors file, or a corrupted prefix)");
        }
        var n = (long)declared;
        if (8 + n > fileLength)
        {
            throw new SafetensorsFormatException(SafetensorsError.InvalidHeaderLength, path, null,
                $"the header length prefix says {n} bytes but only {fileLength - 8} follow it (truncated file?)");
        }
        var json = head.Slice(8, (int)n);
        if (!Utf8.IsValid(json))
        {
            var bad = FirstInvalidUtf8(json);
            throw new SafetensorsFormatException(SafetensorsError.InvalidUtf8, path, null,
                $"the header is not valid UTF-8: byte {8 + bad} of the file (0x{json[bad]:X2}) starts no valid sequence");
        }
        if (json.IsEmpty || json[0] != (byte)'{')
        {
            throw new SafetensorsFormatException(SafetensorsError.InvalidHeaderStart, path, null, json.IsEmpty
                ? "the header is empty (the header length prefix says 0 bytes; a safetensors header is a JSON object)"
                : $"the header does not start with '{{': byte 8 of the file is 0x{json[0]:X2} (a safetensors header is a JSON object)");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            // System.Text.Json counts lines and bytes within the line; the file offset is what a hex dump shows.
            var reason = e.Message.IndexOf(" LineNumber:", StringComparison.Ordinal) is var cut and > 0 ? e.Message[..cut] : e.Message;
            throw new SafetensorsFormatException(SafetensorsError.InvalidJson, path, null,
                $"the header is not valid JSON at byte {8 + HeaderOffset(json, e.LineNumber ?? 0, e.BytePositionInLine ?? 0)} of the file: {reason}", e);
        }

        using (document)
        {
            var bufferLength = fileLength - 8 - n;
            var (tensors, metadata) = ReadEntries(document.RootElement, path);
            ValidateLayout(tensors, bufferLength, path);
            return new SafetensorsHeader(n, tensors, metadata);
        }
    }

    /// <summary>The index of the first byte of <paramref name="bytes"/> that starts no valid UTF-8 sequence.</summary>
    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length && System.Text.Rune.DecodeFromUtf8(bytes[i..], out _, out var consumed) == System.Buffers.OperationStatus.Done) i += consumed;
        return Math.Min(i, bytes.Length - 1);
    }

    /// <summary>The header offset of (<paramref name="line"/>, <paramref name="byteInLine"/>), both 0-based as System.Text.Json reports them.</summary>
    private static long HeaderOffset(ReadOnlySpan<byte> json, long line, long byteInLine)
    {
        var start = 0;
        for (var l = 0L; l < line && start < json.Length; l++)
        {
            var next = json[start..].IndexOf((byte)'\n');
            if (next < 0) break;
            start += next + 1;
        }
        return start + byteInLine;
    }

    private static (List<SafetensorsTensorInfo>, Dictionary<string, string>) ReadEntries(JsonElement root, string path)
    {
        var tensors = new List<SafetensorsTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        // JsonDocument keeps duplicate keys; the reference (serde) would silently keep one of them.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw property.Name == MetadataKey
                    ? new SafetensorsFormatException(SafetensorsError.DuplicateName, path, null, $"{MetadataKey} appears more than once in the header")
                    : new SafetensorsFormatException(SafetensorsError.DuplicateName, path, property.Name, "the name appears more than once in the header");
            }
            if (property.Name == MetadataKey) ReadMetadata(property.Value, metadata, path);
            else tensors.Add(ReadTensor(property.Name, property.Value, path));
        }
        return (tensors, metadata);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind == JsonValueKind.Null) return; // the reference reads __metadata__ as an Option
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(SafetensorsError.InvalidMetadata, path, null,
                $"{MetadataKey} must be a JSON object of strings, found {value.ValueKind}");
        }
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafetensorsFormatException(SafetensorsError.InvalidMetadata, path, null,
                    $"{MetadataKey} values must be strings, but '{entry.Name}' is {entry.Value.ValueKind}");
            }
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw new SafetensorsFormatException(SafetensorsError.InvalidMetadata, path, null,
                    $"{MetadataKey} has the key '{entry.Name}' more than once");
            }
        }
    }

    private static SafetensorsTensorInfo ReadTensor(string name, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array)
        {
            throw new SafetensorsFormatException(SafetensorsError.InvalidTensorEntry, path, name,
                "the entry must be an object with \"dtype\" (string), \"shape\" (array) and \"data_offsets\" (array)");
        }

        var code = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryGetElementSize(code, out var elementSize))
        {
            throw new SafetensorsFormatException(SafetensorsError.UnknownDType, path, name, $"unknown dtype '{code}'");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        long count = 1;
        var i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
            {
                throw new SafetensorsFormatException(SafetensorsError.InvalidShape, path, name,
                    $"shape dimension {i} is {dim.GetRawText()}, not a non-negative integer");
            }
            shape[i++] = d;
            count = MultiplyOrThrow(count, d, path, name);
        }
        var byteCount = MultiplyOrThrow(count, elementSize, path, name);

        if (offsetsElement.GetArrayLength() != 2
            || !TryGetOffset(offsetsElement[0], out var begin) || !TryGetOffset(offsetsElement[1], out var end)
            || begin > end)
        {
            throw new SafetensorsFormatException(SafetensorsError.InvalidOffsets, path, name,
                $"data_offsets is {offsetsElement.GetRawText()}, not [begin, end] with 0 <= begin <= end");
        }
        if (end - begin != byteCount)
        {
            throw new SafetensorsFormatException(SafetensorsError.SizeMismatch, path, name,
                $"data_offsets [{begin}, {end}] span {end - begin} bytes, but {code} [{string.Join(", ", shape)}] needs {count} x {elementSize} = {byteCount}");
        }
        return new SafetensorsTensorInfo(name, code, elementSize, shape, count, begin, end);
    }

    private static bool TryGetOffset(JsonElement element, out long value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value) && value >= 0;
    }

    private static long MultiplyOrThrow(long a, long b, string path, string name)
    {
        try
        {
            return checked(a * b);
        }
        catch (OverflowException e)
        {
            throw new SafetensorsFormatException(SafetensorsError.InvalidShape, path, name,
                "the shape's byte size overflows a 64-bit integer", e);
        }
    }

    /// <summary>
    /// The tensors, sorted by offsets, must tile the data buffer exactly: the first starts at 0, each
    /// starts where the previous ended, the last ends at the end of the file (the reference's
    /// <c>InvalidOffset</c> and <c>MetadataIncompleteBuffer</c>). Sorts <paramref name="tensors"/> in place.
    /// </summary>
    private static void ValidateLayout(List<SafetensorsTensorInfo> tensors, long bufferLength, string path)
    {
        foreach (var t in tensors)
        {
            if (t.DataEnd > bufferLength)
            {
                throw new SafetensorsFormatException(SafetensorsError.OffsetOutOfBounds, path, t.Name,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] end beyond the data buffer, which holds {bufferLength} bytes (truncated file?)");
            }
        }
        // Zero-byte tensors sort before a tensor starting at the same offset, so they never look like overlaps.
        tensors.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        long cursor = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var t in tensors)
        {
            if (t.DataBegin < cursor)
            {
                throw new SafetensorsFormatException(SafetensorsError.Overlap, path, t.Name,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] overlap tensor '{previous!.Name}' at [{previous.DataBegin}, {previous.DataEnd}]");
            }
            if (t.DataBegin > cursor)
            {
                throw new SafetensorsFormatException(SafetensorsError.Gap, path, t.Name,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] leave bytes [{cursor}, {t.DataBegin}) of the data buffer unused; tensors must cover it without holes");
            }
            cursor = t.DataEnd;
            previous = t;
        }
        if (cursor != bufferLength)
        {
            throw new SafetensorsFormatException(SafetensorsError.IncompleteBuffer, path, null,
                $"the tensors cover {cursor} bytes but the data buffer holds {bufferLength}; the last tensor must end at the end of the file");
        }
    }
}
