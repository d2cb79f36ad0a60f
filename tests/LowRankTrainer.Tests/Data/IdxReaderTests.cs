using System.Buffers.Binary;
using System.IO.Compression;
using LowRankTrainer.Data;

namespace LowRankTrainer.Tests.Data;

public class IdxReaderTests
{
    /// <summary>An IDX file: magic 00 00 type ndim, big-endian uint32 dims, then the payload.</summary>
    private static byte[] Idx(byte type, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    private static readonly byte[] _pixels = [0, 1, 2, 127, 128, 255];

    [Fact]
    public void Read_UByte3D_ReturnsShapeAndBytes()
    {
        using var tmp = new TestPaths.TempDir();
        var path = tmp.File("tiny-images-idx3-ubyte");
        File.WriteAllBytes(path, Idx(0x08, [1, 2, 3], _pixels));

        var idx = IdxReader.Read(path);

        Assert.Equal(IdxDataType.UInt8, idx.DataType);
        Assert.Equal([1, 2, 3], idx.Shape);
        Assert.Equal(6, idx.ElementCount);
        Assert.Equal(_pixels, idx.Data);
    }

    [Fact]
    public void Read_GzippedFile_IsDecompressedTransparently()
    {
        using var tmp = new TestPaths.TempDir();
        var path = tmp.File("tiny-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, Gzip(Idx(0x08, [1, 2, 3], _pixels)));

        var idx = IdxReader.Read(path);

        Assert.Equal([1, 2, 3], idx.Shape);
        Assert.Equal(_pixels, idx.Data);
    }

    [Fact]
    public void Read_TypedPayloads_ConvertFromBigEndian()
    {
        using var tmp = new TestPaths.TempDir();
        var ints = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(ints, -7);
        BinaryPrimitives.WriteInt32BigEndian(ints.AsSpan(4), 70000);
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(floats, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4), -0.25f);
        var doubles = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(doubles, Math.PI);
        var shorts = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(shorts, -300);
        BinaryPrimitives.WriteInt16BigEndian(shorts.AsSpan(2), 300);

        File.WriteAllBytes(tmp.File("i"), Idx(0x0C, [2], ints));
        File.WriteAllBytes(tmp.File("f"), Idx(0x0D, [2, 1], floats));
        File.WriteAllBytes(tmp.File("d"), Idx(0x0E, [1], doubles));
        File.WriteAllBytes(tmp.File("s"), Idx(0x0B, [2], shorts));
        File.WriteAllBytes(tmp.File("b"), Idx(0x09, [2], [0xFF, 0x05]));

        Assert.Equal([-7, 70000], IdxReader.Read(tmp.File("i")).ToInt32Array());
        Assert.Equal([1.5f, -0.25f], IdxReader.Read(tmp.File("f")).ToSingleArray());
        Assert.Equal([Math.PI], IdxReader.Read(tmp.File("d")).ToDoubleArray());
        Assert.Equal(new short[] { -300, 300 }, IdxReader.Read(tmp.File("s")).ToInt16Array());
        Assert.Equal(new sbyte[] { -1, 5 }, IdxReader.Read(tmp.File("b")).ToSByteArray());
        Assert.Throws<InvalidOperationException>(() => IdxReader.Read(tmp.File("i")).ToSingleArray());
    }

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "bad magic (nonzero first byte)", [0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7], "bad IDX magic number 01000801 at byte 0" },
        { "unknown type code", [0x00, 0x00, 0x07, 0x01, 0, 0, 0, 1, 7], "bad IDX magic number 00000701 at byte 0" },
        { "zero dimensions", [0x00, 0x00, 0x08, 0x00], "at byte 0: zero dimensions" },
        { "shorter than the magic", [0x00, 0x00], "truncated at byte 2: the file is 2 bytes long" },
        { "header cut short", [0x00, 0x00, 0x08, 0x02, 0, 0, 0, 1], "truncated at byte 8: the header announces 2 dimensions (8 bytes) but only 4 bytes" },
        { "payload cut short", Idx(0x08, [2, 3], [1, 2, 3, 4]), "truncated at byte 16: the header announces 2×3 UInt8 elements = 6 bytes of data, but only 4 bytes follow" },
        { "payload cut short (int32)", Idx(0x0C, [2], [0, 0, 0, 1, 0]), "2 Int32 elements = 8 bytes of data, but only 5 bytes follow" },
        { "trailing bytes", Idx(0x08, [2], [1, 2, 3]), "wrong size: the header announces 2 UInt8 elements = 2 bytes of data, but 3 bytes follow (1 extra, from byte 10)" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Read_MalformedFile_ThrowsNamingTheFileAndTheProblem(string scenario, byte[] bytes, string expected)
    {
        using var tmp = new TestPaths.TempDir();
        foreach (var gz in new[] { false, true })
        {
            var path = tmp.File(gz ? "bad.gz" : "bad");
            File.WriteAllBytes(path, gz ? Gzip(bytes) : bytes);

            var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));

            Assert.True(e.Message.StartsWith(path + ": ", StringComparison.Ordinal), $"{scenario}: {e.Message}");
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
            Assert.Equal(path, e.FilePath);
        }
    }

    [Fact]
    public void Read_TruncatedGzipStream_ThrowsNamingTheFile()
    {
        using var tmp = new TestPaths.TempDir();
        var payload = new byte[5000];
        new Random(1).NextBytes(payload);
        var gz = Gzip(Idx(0x08, [5000], payload));
        var path = tmp.File("cut.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);

        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));

        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DamagedDimension_ReportsTheShortReadWithoutAllocatingTheClaimedSize()
    {
        // Fuzz seed 33 (IdxFuzzTests): bit flips turned a 3×2 float64 file's first dimension into 2,097,155, and the
        // reader allocated the 100,663,440 bytes the header claimed before finding that 48 follow.
        using var tmp = new TestPaths.TempDir();
        var path = tmp.File("flipped-idx");
        File.WriteAllBytes(path, Idx(0x0E, [2_097_155, 6], new byte[48]));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("truncated at byte 60: the header announces 2097155×6 Float64 elements = 100663440 bytes of data, but only 48 bytes follow", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < (4 << 20), $"allocated {allocated} bytes for a 60-byte file");
    }

    [Fact]
    public void Read_DimensionsWhoseProductOverflows_ThrowsTooLargeNamingTheHeaderBytes()
    {
        // Three dimensions of 2^31 - 1 multiply past 2^63: Product's checked arithmetic threw OverflowException.
        using var tmp = new TestPaths.TempDir();
        var path = tmp.File("huge-idx");
        File.WriteAllBytes(path, Idx(0x08, [int.MaxValue, int.MaxValue, int.MaxValue], []));

        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));

        Assert.Contains("the dimensions (bytes 4–15) announce 2147483647×2147483647×2147483647 UInt8 elements, too large to load", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.Read("/nonexistent/x-idx1-ubyte.gz"));
        Assert.Contains("/nonexistent/x-idx1-ubyte.gz", e.Message, StringComparison.Ordinal);
    }
}
