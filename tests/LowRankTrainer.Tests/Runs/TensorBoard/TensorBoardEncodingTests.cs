using System.Buffers.Binary;
using System.Text;
using LowRankTrainer.Runs.TensorBoard;

namespace LowRankTrainer.Tests.Runs.TensorBoard;

/// <summary>The protobuf and TFRecord bytes, worked out by hand from the wire-format rules.</summary>
public sealed class TensorBoardEncodingTests
{
    [Fact]
    public void Header_IsWallTimeThenFileVersion()
    {
        // field 1, wire type 1 (fixed64): key 0x09, then 1.5 as a little-endian double (0x3FF8000000000000);
        // field 3, wire type 2: key 0x1A, length 13, "brain.Event:2". Step 0 is proto3's default and is left out.
        byte[] expected = [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x1A, 13, .. Encoding.ASCII.GetBytes("brain.Event:2")];
        Assert.Equal(expected, TensorBoardEvent.Header(1.5));
    }

    [Fact]
    public void Scalars_NestSummaryValueInsideField5()
    {
        // Value  = 0A 01 'a' (tag) | 15 00 00 80 3F (field 2, fixed32: 1.0f)               → 8 bytes
        // Summary= 0A 08 <Value>                                                            → 10 bytes
        // Event  = 09 <0.0 as 8 bytes> | 10 AC 02 (step 300 = 0b10_0101100 → AC 02) | 2A 0A <Summary>
        byte[] value = [0x0A, 0x01, (byte)'a', 0x15, 0x00, 0x00, 0x80, 0x3F];
        byte[] expected = [0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0xAC, 0x02, 0x2A, 0x0A, 0x0A, 0x08, .. value];
        Assert.Equal(expected, TensorBoardEvent.Scalars(0.0, 300, [("a", 1.0)]));
    }

    [Fact]
    public void Scalars_RoundToFloat32_AndRepeatTheValueField()
    {
        var bytes = TensorBoardEvent.Scalars(0.0, 1, [("x", 0.1), ("y", -2.5)]);
        // After 09 + 8 bytes, 10 01 (step 1), 2A len: two Values of 0A 01 c 15 f32 (8 bytes each) behind 0A 08.
        Assert.Equal(9 + 2 + 2 + 2 * 10, bytes.Length);
        Assert.Equal([0x2A, 20], bytes[11..13]);
        Assert.Equal(0.1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(13 + 2 + 4, 4)));
        Assert.Equal(-2.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(13 + 10 + 2 + 4, 4)));
    }

    [Fact]
    public void TfRecordFrame_LengthCrcDataCrc()
    {
        byte[] data = [1, 2, 3];
        var framed = TfRecordWriter.Frame(data);
        Assert.Equal(3 + 16, framed.Length);
        Assert.Equal([3, 0, 0, 0, 0, 0, 0, 0], framed[..8]);
        // masked CRC-32C of those 8 length bytes, and of the data (crcmod's crc-32c, masked by hand, gives the same).
        Assert.Equal(Crc32C.Mask(Crc32C.Compute(framed.AsSpan(0, 8))), BinaryPrimitives.ReadUInt32LittleEndian(framed.AsSpan(8)));
        Assert.Equal(data, framed[12..15]);
        Assert.Equal(Crc32C.Mask(Crc32C.Compute(data)), BinaryPrimitives.ReadUInt32LittleEndian(framed.AsSpan(15)));
    }

    [Fact]
    public void TfRecordFrame_OfEmptyData_MatchesCrcmod()
    {
        // /usr/bin/python3: crcmod.predefined 'crc-32c' of 8 zero bytes is 0x8C28B28A, masked 0x07980329; of b"" 0, masked 0xA282EAD8.
        var framed = TfRecordWriter.Frame([]);
        Assert.Equal(new byte[8], framed[..8]);
        Assert.Equal(0x07980329u, BinaryPrimitives.ReadUInt32LittleEndian(framed.AsSpan(8)));
        Assert.Equal(0xA282EAD8u, BinaryPrimitives.ReadUInt32LittleEndian(framed.AsSpan(12)));
    }
}
