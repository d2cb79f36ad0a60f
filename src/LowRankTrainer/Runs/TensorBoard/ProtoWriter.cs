using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace LowRankTrainer.Runs.TensorBoard;

/// <summary>
/// The few protocol-buffer wire encodings the event file needs (protobuf.dev, "Encoding"): a field key is the varint
/// <c>(field_number &lt;&lt; 3) | wire_type</c>; wire type 0 is a varint (int64 as its two's-complement 64 bits),
/// 1 is 8 little-endian bytes (double), 2 is a varint length then the bytes (string, sub-message), 5 is 4
/// little-endian bytes (float).
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private readonly ArrayBufferWriter<byte> _buffer = new();

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>A <c>double</c> field.</summary>
    public ProtoWriter Double(int field, double value)
    {
        Key(field, Fixed64);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    /// <summary>A <c>float</c> field.</summary>
    public ProtoWriter Float(int field, float value)
    {
        Key(field, Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    /// <summary>An <c>int64</c> field (negative values take ten bytes, as protobuf encodes them).</summary>
    public ProtoWriter Int64(int field, long value)
    {
        Key(field, Varint);
        WriteVarint(unchecked((ulong)value));
        return this;
    }

    /// <summary>A <c>string</c> field, UTF-8.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A <c>bytes</c> or embedded-message field.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    private void Key(int field, int wireType) => WriteVarint(((ulong)(uint)field << 3) | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        // Seven bits per byte, least significant group first; the high bit marks "more follows".
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        WriteByte((byte)value);
    }

    private void WriteByte(byte b)
    {
        _buffer.GetSpan(1)[0] = b;
        _buffer.Advance(1);
    }
}
