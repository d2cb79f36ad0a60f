using System.Buffers.Binary;

namespace LowRankTrainer.Runs.TensorBoard;

/// <summary>
/// Appends TFRecord records to a stream (tensorflow/core/lib/io/record_writer.cc; tensorboard's and tensorboardX's
/// record_writer.py write the same): per record
/// <c>uint64 length | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)</c>, all little-endian
/// (<see cref="Crc32C"/>). Each record is written in one call and flushed, so a process killed between records leaves
/// only complete ones, and one killed inside a record leaves a tail a reader detects by its length or CRC.
/// </summary>
public sealed class TfRecordWriter : IDisposable
{
    /// <summary>Bytes of framing around the data: length (8), its CRC (4) and the data's CRC (4).</summary>
    public const int Overhead = 16;

    private readonly Stream _stream;

    /// <summary>Writes to <paramref name="stream"/>, which the writer owns and disposes.</summary>
    public TfRecordWriter(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>The framed bytes of one record (what <see cref="Write"/> appends).</summary>
    public static byte[] Frame(ReadOnlySpan<byte> data)
    {
        var record = new byte[data.Length + Overhead];
        var span = record.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], Crc32C.MaskedCompute(span[..8]));
        data.CopyTo(span[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(12 + data.Length)..], Crc32C.MaskedCompute(data));
        return record;
    }

    /// <summary>Appends one record and flushes it to the operating system.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        _stream.Write(Frame(data));
        _stream.Flush();
    }

    /// <summary>Closes the stream.</summary>
    public void Dispose() => _stream.Dispose();
}
