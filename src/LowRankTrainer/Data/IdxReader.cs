using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace LowRankTrainer.Data;

/// <summary>The element types an IDX file can hold (the third byte of its magic number).</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "the members name element types, as DType's do")]
public enum IdxDataType : byte
{
    /// <summary>Unsigned byte (0x08): MNIST and Fashion-MNIST images and labels.</summary>
    UInt8 = 0x08,
    /// <summary>Signed byte (0x09).</summary>
    Int8 = 0x09,
    /// <summary>Big-endian 16-bit integer (0x0B).</summary>
    Int16 = 0x0B,
    /// <summary>Big-endian 32-bit integer (0x0C).</summary>
    Int32 = 0x0C,
    /// <summary>Big-endian IEEE float32 (0x0D).</summary>
    Float32 = 0x0D,
    /// <summary>Big-endian IEEE float64 (0x0E).</summary>
    Float64 = 0x0E,
}

/// <summary>
/// The contents of one IDX file: element type, dimensions, and the payload exactly as stored
/// (big-endian for multi-byte types); the typed accessors convert to host order.
/// </summary>
/// <param name="DataType">The element type.</param>
/// <param name="Shape">The dimensions, outermost first (e.g. 60000, 28, 28).</param>
/// <param name="Data">The raw payload: product(Shape) × element size bytes.</param>
public sealed record IdxData(IdxDataType DataType, IReadOnlyList<int> Shape, byte[] Data)
{
    /// <summary>Number of elements (the product of the dimensions).</summary>
    public long ElementCount => IdxReader.Product(Shape);

    /// <summary>The payload as signed bytes (0x09 files; 0x08 bytes reinterpreted).</summary>
    public sbyte[] ToSByteArray()
    {
        Expect(IdxDataType.Int8, IdxDataType.UInt8);
        return MemoryMarshal.Cast<byte, sbyte>(Data).ToArray();
    }

    /// <summary>The payload of a 0x0B file as host-order 16-bit integers.</summary>
    public short[] ToInt16Array()
    {
        Expect(IdxDataType.Int16);
        var r = MemoryMarshal.Cast<byte, short>(Data).ToArray();
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(r, r);
        return r;
    }

    /// <summary>The payload of a 0x0C file as host-order 32-bit integers.</summary>
    public int[] ToInt32Array()
    {
        Expect(IdxDataType.Int32);
        var r = MemoryMarshal.Cast<byte, int>(Data).ToArray();
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(r, r);
        return r;
    }

    /// <summary>The payload of a 0x0D file as host-order floats.</summary>
    public float[] ToSingleArray()
    {
        Expect(IdxDataType.Float32);
        var bits = MemoryMarshal.Cast<byte, int>(Data).ToArray();
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(bits, bits);
        return MemoryMarshal.Cast<int, float>(bits).ToArray();
    }

    /// <summary>The payload of a 0x0E file as host-order doubles.</summary>
    public double[] ToDoubleArray()
    {
        Expect(IdxDataType.Float64);
        var bits = MemoryMarshal.Cast<byte, long>(Data).ToArray();
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(bits, bits);
        return MemoryMarshal.Cast<long, double>(bits).ToArray();
    }

    private void Expect(params IdxDataType[] allowed)
    {
        if (Array.IndexOf(allowed, DataType) < 0)
        {
            throw new InvalidOperationException($"the IDX data holds {DataType} elements, not {allowed[0]}");
        }
    }
}

/// <summary>
/// Reads IDX files (the MNIST/Fashion-MNIST container): a magic number <c>00 00 type ndim</c>,
/// <c>ndim</c> big-endian uint32 dimensions, then the elements, big-endian, row-major. Gzipped
/// files (<c>*.gz</c>, detected by their 1F 8B signature) are decompressed on the fly.
/// </summary>
/// <remarks>
/// Validation is strict: a bad magic number, an unknown type code, a header or payload that ends
/// early, and trailing bytes after the payload are all <see cref="DataFormatException"/>s naming
/// the file and stating what was expected and what was found.
/// </remarks>
public static class IdxReader
{
    /// <summary>Reads an IDX file, gunzipping it when it is gzip-compressed.</summary>
    public static IdxData Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such IDX file", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> sig = stackalloc byte[2];
        var gz = file.ReadAtLeast(sig, 2, throwOnEndOfStream: false) == 2 && sig[0] == 0x1F && sig[1] == 0x8B;
        file.Position = 0;
        if (!gz) return Read(file, path);
        using var unzip = new GZipStream(file, CompressionMode.Decompress);
        return Read(unzip, path);
    }

    /// <summary>Reads an (uncompressed) IDX stream; <paramref name="name"/> is used in error messages.</summary>
    public static IdxData Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        var offset = new Offset();
        try
        {
            return ReadCore(stream, name, offset);
        }
        catch (InvalidDataException e)
        {
            // GZipStream's complaint about a corrupt or truncated compressed stream; where it noticed is only
            // known in decompressed bytes.
            throw new DataFormatException(name, $"corrupt gzip data after byte {offset.Value} of the decompressed IDX data ({e.Message})", innerException: e);
        }
    }

    /// <summary>How many bytes of the (decompressed) IDX data have been read: every error names this position.</summary>
    private sealed class Offset
    {
        public long Value;
    }

    private static IdxData ReadCore(Stream stream, string name, Offset offset)
    {
        Span<byte> magic = stackalloc byte[4];
        var got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        offset.Value = got;
        if (got < 4) throw new DataFormatException(name, $"truncated at byte {got}: the file is {got} bytes long, shorter than the 4-byte IDX magic number");
        if (magic[0] != 0 || magic[1] != 0 || !Enum.IsDefined((IdxDataType)magic[2]))
        {
            throw new DataFormatException(name,
                $"bad IDX magic number {Convert.ToHexString(magic)} at byte 0 (expected 0000TTDD: type TT in 08,09,0B,0C,0D,0E and DD dimensions)");
        }
        var type = (IdxDataType)magic[2];
        int ndim = magic[3];
        if (ndim == 0) throw new DataFormatException(name, "bad IDX magic number at byte 0: zero dimensions (byte 3 is 00)");

        var header = new byte[4 * ndim];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        offset.Value += got;
        if (got < header.Length)
        {
            throw new DataFormatException(name, $"truncated at byte {offset.Value}: the header announces {ndim} dimensions ({header.Length} bytes) but only {got} bytes follow the magic number");
        }
        var shape = new int[ndim];
        for (var i = 0; i < ndim; i++)
        {
            var d = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 * i));
            if (d > int.MaxValue) throw new DataFormatException(name, $"dimension {i} (bytes {4 + 4 * i}–{7 + 4 * i}) is {d}, too large");
            shape[i] = (int)d;
        }

        var elementSize = ElementSize(type);
        var dims = string.Join('×', shape);
        var dataStart = offset.Value;
        long bytes;
        try
        {
            bytes = checked(Product(shape) * elementSize);
        }
        catch (OverflowException)
        {
            bytes = long.MaxValue;
        }
        if (bytes > Array.MaxLength)
        {
            throw new DataFormatException(name, $"the dimensions (bytes 4–{dataStart - 1}) announce {dims} {type} elements, too large to load");
        }

        var data = ReadPayload(stream, (int)bytes, offset);
        if (data.Length < bytes)
        {
            throw new DataFormatException(name, $"truncated at byte {offset.Value}: the header announces {dims} {type} elements = {bytes} bytes of data, but only {data.Length} bytes follow");
        }
        Span<byte> extra = stackalloc byte[4096];
        long trailing = 0;
        int n;
        while ((n = stream.Read(extra)) > 0) trailing += n;
        if (trailing > 0)
        {
            throw new DataFormatException(name, $"wrong size: the header announces {dims} {type} elements = {bytes} bytes of data, but {bytes + trailing} bytes follow ({trailing} extra, from byte {dataStart + bytes})");
        }
        return new IdxData(type, shape, data);
    }

    /// <summary>
    /// Reads up to <paramref name="bytes"/> bytes, growing the buffer as data arrives: the header's size is not
    /// trusted with an allocation before the data is there, so a damaged dimension costs a short read, not gigabytes.
    /// </summary>
    private static byte[] ReadPayload(Stream stream, int bytes, Offset offset)
    {
        var data = new byte[Math.Min(bytes, 1 << 20)];
        var filled = 0;
        while (filled < bytes)
        {
            if (filled == data.Length) Array.Resize(ref data, (int)Math.Min(bytes, 2L * data.Length));
            var n = stream.Read(data, filled, data.Length - filled);
            if (n == 0) break;
            filled += n;
            offset.Value += n;
        }
        if (filled < data.Length) Array.Resize(ref data, filled);
        return data;
    }

    /// <summary>Bytes per element of an IDX type.</summary>
    public static int ElementSize(IdxDataType type) => type switch
    {
        IdxDataType.UInt8 or IdxDataType.Int8 => 1,
        IdxDataType.Int16 => 2,
        IdxDataType.Int32 or IdxDataType.Float32 => 4,
        IdxDataType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown IDX element type"),
    };

    internal static long Product(IReadOnlyList<int> shape)
    {
        long p = 1;
        foreach (var d in shape) p = checked(p * d);
        return p;
    }
}
