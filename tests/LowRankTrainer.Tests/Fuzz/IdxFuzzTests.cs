using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.RegularExpressions;
using LowRankTrainer.Data;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Fuzz;

/// <summary>
/// Fuzzes <see cref="IdxReader"/> (issue #10): small valid IDX files of every element type, plain and gzipped, then
/// truncated, bit-flipped (biased into the magic number and dimensions) or with a rewritten magic, type, rank or
/// dimension. Each must read or throw a <see cref="DataFormatException"/> naming the file and a byte offset.
/// </summary>
public sealed class IdxFuzzTests(ITestOutputHelper output)
{
    private static readonly Regex Position = new(@"\bbytes? \d+", RegexOptions.CultureInvariant);

    private static readonly byte[] Types = [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E];

    [Fact]
    public void Fuzz_Idx_ReadsOrNamesTheFileAndTheByte() => FuzzHarness.Run(output, nameof(IdxFuzzTests), c =>
    {
        var r = c.Random;
        var type = r.Pick(Types);
        var dims = Enumerable.Range(0, 1 + r.Next(3)).Select(_ => r.Next(4)).ToArray();
        var bytes = Valid(r, type, dims);
        var headerLength = 4 + 4 * dims.Length;
        c.Note($"valid: type {type:X2}, dims [{string.Join(", ", dims)}], {bytes.Length} bytes");
        bytes = r.Next(4) == 0 ? RewriteHeader(r, bytes, dims.Length, c) : r.Damage(bytes, (0, headerLength), c);

        var gz = r.Next(3) == 0;
        var path = Path.Combine(c.Folder, gz ? $"case-{c.Seed}-idx.gz" : $"case-{c.Seed}-idx");
        if (gz)
        {
            var packed = Gzip(bytes);
            // Damage the compressed stream itself now and then: a corrupt or cut-off gzip member.
            if (r.Next(3) == 0) packed = r.Damage(packed, (0, 0), c);
            File.WriteAllBytes(path, packed);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }
        try
        {
            var idx = IdxReader.Read(path);
            // Success must mean a consistent result: the payload is exactly the announced elements.
            Assert.Equal(idx.ElementCount * IdxReader.ElementSize(idx.DataType), idx.Data.LongLength);
            return "ok";
        }
        catch (DataFormatException e)
        {
            var kind = e.Message.Contains("truncated", StringComparison.Ordinal) ? "truncated"
                : e.Message.Contains("magic", StringComparison.Ordinal) ? "bad magic"
                : e.Message.Contains("gzip", StringComparison.Ordinal) ? "corrupt gzip"
                : e.Message.Contains("wrong size", StringComparison.Ordinal) ? "wrong size"
                : "other";
            return FuzzCase.Located(e.Message, path, Position, "DataFormatException: " + kind);
        }
    });

    /// <summary>A valid IDX file: magic 00 00 type ndim, big-endian uint32 dims, random payload.</summary>
    private static byte[] Valid(Random r, byte type, int[] dims)
    {
        var size = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, _ => 8 };
        var count = dims.Aggregate(1, (a, d) => a * d);
        var bytes = new byte[4 + 4 * dims.Length + count * size];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        r.NextBytes(bytes.AsSpan(4 + 4 * dims.Length));
        return bytes;
    }

    /// <summary>Rewrites one header field: the magic's zero bytes, the type code, the rank or a dimension.</summary>
    private static byte[] RewriteHeader(Random r, byte[] bytes, int rank, FuzzCase c)
    {
        var b = (byte[])bytes.Clone();
        switch (r.Next(4))
        {
            case 0:
                b[r.Next(2)] = (byte)(1 + r.Next(255));
                c.Note($"magic zero bytes now {b[0]:X2}{b[1]:X2}");
                break;
            case 1:
                b[2] = (byte)r.Next(256);
                c.Note($"type code now {b[2]:X2}");
                break;
            case 2:
                b[3] = r.Pick<byte>([0, (byte)(rank + 1), (byte)Math.Max(0, rank - 1), 255, (byte)r.Next(256)]);
                c.Note($"rank now {b[3]}");
                break;
            default:
                if (rank == 0) break;
                var i = r.Next(rank);
                var value = r.Pick([0u, 1u, 5u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu, 1u << 20, 1u << 28, (uint)r.Next()]);
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4 + 4 * i), value);
                c.Note($"dimension {i} now {value}");
                break;
        }
        return b;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }
}
