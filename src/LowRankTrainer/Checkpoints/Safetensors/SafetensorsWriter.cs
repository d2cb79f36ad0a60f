using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Checkpoints.Safetensors;

/// <summary>
/// Writes tensors in the safetensors format (spec: the README of huggingface/safetensors): an 8-byte
/// little-endian header length N, N bytes of UTF-8 JSON mapping each name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> plus an optional <c>__metadata__</c> map of
/// strings, then the tensors' raw little-endian bytes, row-major, back to back.
/// </summary>
/// <remarks>
/// The layout is the reference writer's, so equal inputs give byte-identical files: tensors sorted
/// by dtype alignment descending (I64, F64, F32, I32, BF16, F16, U8, BOOL), then by name (ordinal
/// UTF-8 bytes); the header padded with spaces to a multiple of 8. The write is atomic: the file is
/// built under a temporary name in the same folder, flushed to disk, then renamed over
/// <c>path</c>, so a failed or interrupted write never leaves a half-written file at <c>path</c>.
/// </remarks>
public static class SafetensorsWriter
{
    // Tensors larger than this are copied out in slices, so writing never needs a second full copy in memory.
    private const int ChunkBytes = 8 << 20;

    /// <summary>Writes <paramref name="tensors"/> (any device, any layout) and optional metadata to <paramref name="path"/>.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">Names and tensors; names must be unique and not <c>__metadata__</c>. The input order does not matter.</param>
    /// <param name="metadata">Free-form string pairs stored as <c>__metadata__</c> (e.g. <c>{"format": "pt"}</c>), or null.</param>
    /// <exception cref="ArgumentException">A duplicate or reserved name, or a null value.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) SafetensorsDTypes.ThrowBigEndian();

        var (entries, sources) = Layout(tensors);
        var header = SafetensorsHeaderEncoder.Encode(entries, metadata);

        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                for (var i = 0; i < entries.Count; i++)
                {
                    WriteData(stream, sources[i], entries[i].DataEnd - entries[i].DataBegin);
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (IOException) { /* the original error matters more than a leftover temp file */ }
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static (List<SafetensorsEntry>, List<Tensor>) Layout(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var items = new List<(string Name, byte[] Key, Tensor Tensor, DType DType)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(tensors));
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            if (name == SafetensorsHeaderParser.MetadataKey)
            {
                throw new ArgumentException($"'{name}' is reserved for the metadata map and cannot name a tensor", nameof(tensors));
            }
            if (!names.Add(name)) throw new ArgumentException($"the tensor name '{name}' appears twice", nameof(tensors));
            items.Add((name, Encoding.UTF8.GetBytes(name), tensor, tensor.DType));
        }
        // The reference's order (safetensors/src/tensor.rs, prepare): alignment descending, then name.
        items.Sort((a, b) =>
        {
            var byDType = SafetensorsDTypes.AlignmentRank(b.DType).CompareTo(SafetensorsDTypes.AlignmentRank(a.DType));
            return byDType != 0 ? byDType : a.Key.AsSpan().SequenceCompareTo(b.Key);
        });

        var entries = new List<SafetensorsEntry>(items.Count);
        var sources = new List<Tensor>(items.Count);
        long offset = 0;
        foreach (var (name, _, tensor, dtype) in items)
        {
            var shape = tensor.Shape;
            var bytes = checked(tensor.NumEl * dtype.ElementSize());
            entries.Add(new SafetensorsEntry(name, SafetensorsDTypes.Code(dtype), shape, offset, offset + bytes));
            sources.Add(tensor);
            offset += bytes;
        }
        return (entries, sources);
    }

    private static void WriteData(FileStream stream, Tensor tensor, long byteLength)
    {
        if (byteLength == 0) return;
        var elementSize = tensor.DType.ElementSize();
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(byteLength, ChunkBytes));
        try
        {
            if (byteLength <= ChunkBytes)
            {
                var span = buffer.AsSpan(0, (int)byteLength);
                CopyOut(tensor, span);
                stream.Write(span);
                return;
            }
            // CopyTo moves the whole tensor to the host at once, so large tensors go out in flat slices.
            var total = tensor.NumEl;
            var perChunk = ChunkBytes / elementSize;
            using var flat = tensor.Flatten();
            for (long start = 0; start < total; start += perChunk)
            {
                var count = Math.Min(perChunk, total - start);
                using var part = flat.Narrow(0, start, count);
                var span = buffer.AsSpan(0, (int)(count * elementSize));
                CopyOut(part, span);
                stream.Write(span);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies a tensor's elements (moved to the host, made contiguous) into raw bytes.</summary>
    private static void CopyOut(Tensor tensor, Span<byte> destination)
    {
        switch (tensor.DType)
        {
            case DType.Float32: tensor.CopyTo(MemoryMarshal.Cast<byte, float>(destination)); break;
            case DType.Float64: tensor.CopyTo(MemoryMarshal.Cast<byte, double>(destination)); break;
            case DType.BFloat16: tensor.CopyTo(MemoryMarshal.Cast<byte, BFloat16>(destination)); break;
            case DType.Float16: tensor.CopyTo(MemoryMarshal.Cast<byte, Half>(destination)); break;
            case DType.Int64: tensor.CopyTo(MemoryMarshal.Cast<byte, long>(destination)); break;
            case DType.Int32: tensor.CopyTo(MemoryMarshal.Cast<byte, int>(destination)); break;
            case DType.Bool: tensor.CopyTo(MemoryMarshal.Cast<byte, bool>(destination)); break;
            case DType.UInt8: tensor.CopyTo(destination); break;
            default: throw new NotSupportedException($"no safetensors code for dtype {tensor.DType}");
        }
    }
}
