using System.Buffers.Binary;
using System.Text;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Checkpoints;

/// <summary>Each malformed file is rejected with the specific error, naming the file and the tensor.</summary>
public class SafetensorsValidationTests
{
    private static SafetensorsFormatException AssertRejected(string path, SafetensorsError error, string? tensor, params string[] fragments)
    {
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(error, e.Error);
        Assert.Equal(path, e.FilePath);
        Assert.Equal(tensor, e.TensorName);
        Assert.StartsWith(path + ": ", e.Message);
        if (tensor is not null) Assert.Contains($"tensor '{tensor}'", e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        return e;
    }

    /// <summary>A valid two-tensor file from the writer: w (F32 [2], bytes [0, 8)), m (BOOL [3], bytes [8, 11)).</summary>
    private static byte[] ValidFile(SafetensorsTestFiles files)
    {
        var path = files.PathOf("valid.safetensors");
        using (new DisposeScope())
        {
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor>
            {
                ["w"] = Tensor.From<float>(1f, 2f),
                ["m"] = Tensor.From<bool>(true, false, true),
            });
        }
        return File.ReadAllBytes(path);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Open_FileShorterThanThePrefix_IsRejected(int length)
    {
        using var files = new SafetensorsTestFiles();
        var path = files.PathOf("short.safetensors");
        File.WriteAllBytes(path, new byte[length]);
        AssertRejected(path, SafetensorsError.HeaderTooSmall, null, $"{length} bytes");
    }

    [Fact]
    public void Open_HeaderLengthAboveTheLimit_IsRejected()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.WriteRaw("huge.safetensors", "{}      ", declaredLength: 100_000_001);
        AssertRejected(path, SafetensorsError.HeaderTooLarge, null, "100000001", "100000000");
    }

    [Fact]
    public void Open_HeaderLengthPastTheEnd_IsRejected()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.WriteRaw("long.safetensors", "{}      ", declaredLength: 9);
        AssertRejected(path, SafetensorsError.InvalidHeaderLength, null, "9 bytes", "only 8");
    }

    [Fact]
    public void Open_TruncatedInTheData_NamesTheLastTensor()
    {
        using var files = new SafetensorsTestFiles();
        var bytes = ValidFile(files);
        var path = files.PathOf("truncated.safetensors");
        File.WriteAllBytes(path, bytes[..^2]);
        AssertRejected(path, SafetensorsError.OffsetOutOfBounds, "m", "[8, 11]", "holds 9 bytes", "truncated");
    }

    [Fact]
    public void Open_TruncatedInTheHeader_IsRejected()
    {
        using var files = new SafetensorsTestFiles();
        var bytes = ValidFile(files);
        var path = files.PathOf("truncated-header.safetensors");
        File.WriteAllBytes(path, bytes[..20]);
        AssertRejected(path, SafetensorsError.InvalidHeaderLength, null, "truncated");
    }

    [Fact]
    public void Open_InvalidUtf8InTheHeader_IsRejected()
    {
        using var files = new SafetensorsTestFiles();
        var bytes = ValidFile(files);
        var at = Encoding.ASCII.GetString(bytes).IndexOf("\"w\"", StringComparison.Ordinal) + 1;
        bytes[at] = 0xFF; // the name "w" becomes an invalid UTF-8 byte
        var path = files.PathOf("utf8.safetensors");
        File.WriteAllBytes(path, bytes);
        // The message names the offending byte's file offset (fuzz seed 15, SafetensorsFuzzTests: it named none).
        AssertRejected(path, SafetensorsError.InvalidUtf8, null, "UTF-8", $"byte {at} of the file (0xFF)");
    }

    [Fact]
    public void Open_TrailingBytesAfterTheLastTensor_AreRejected()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.PathOf("trailing.safetensors");
        File.WriteAllBytes(path, [.. ValidFile(files), 0, 0, 0]);
        AssertRejected(path, SafetensorsError.IncompleteBuffer, null, "cover 11 bytes", "holds 14");
    }

    [Theory]
    [InlineData("[1]     ", 0, SafetensorsError.InvalidHeaderStart, null, "'{'", "byte 8 of the file is 0x5B")]
    [InlineData(" {}     ", 0, SafetensorsError.InvalidHeaderStart, null, "'{'", "byte 8 of the file is 0x20")]
    [InlineData("", 0, SafetensorsError.InvalidHeaderStart, null, "the header is empty")]
    [InlineData("{\"a\":   ", 0, SafetensorsError.InvalidJson, null, "not valid JSON at byte 16 of the file")]
    [InlineData("{\"a\":\n  1\n  x}", 0, SafetensorsError.InvalidJson, null, "not valid JSON at byte 20 of the file: 'x' is invalid after a value")]
    [InlineData("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SafetensorsError.UnknownDType, "a", "'F33'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, SafetensorsError.InvalidShape, "a", "dimension 0 is -1")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,1.5],\"data_offsets\":[0,4]}}", 4, SafetensorsError.InvalidShape, "a", "dimension 1 is 1.5")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", 4, SafetensorsError.InvalidShape, "a", "overflow")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, SafetensorsError.InvalidOffsets, "a", "[4,0]")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, SafetensorsError.InvalidOffsets, "a", "[0]")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, SafetensorsError.InvalidOffsets, "a", "[-4,0]")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, SafetensorsError.InvalidTensorEntry, "a", "data_offsets")]
    [InlineData("{\"a\":[1,2]}", 0, SafetensorsError.InvalidTensorEntry, "a", "object")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, SafetensorsError.SizeMismatch, "a", "span 4 bytes", "needs 2 x 4 = 8")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, SafetensorsError.OffsetOutOfBounds, "a", "[0, 8]", "holds 4 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, SafetensorsError.Overlap, "b", "[4, 12]", "tensor 'a' at [0, 8]")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, SafetensorsError.Gap, "b", "[4, 8)")]
    [InlineData("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, SafetensorsError.Gap, "b", "[0, 4)")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, SafetensorsError.DuplicateName, "a", "more than once")]
    [InlineData("{\"__metadata__\":5}", 0, SafetensorsError.InvalidMetadata, null, "__metadata__", "Number")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", 0, SafetensorsError.InvalidMetadata, null, "'k'")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{}}", 0, SafetensorsError.DuplicateName, null, "__metadata__ appears more than once")]
    public void Open_MalformedHeader_IsRejected(string header, int dataLength, SafetensorsError error, string? tensor, params string[] fragments)
    {
        using var files = new SafetensorsTestFiles();
        var path = files.WriteRaw("bad.safetensors", header, new byte[dataLength]);
        AssertRejected(path, error, tensor, fragments);
    }

    [Fact]
    public void Open_ZeroByteTensorsAtTheSameOffset_AreValid()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.WriteRaw("zeros.safetensors",
            "{\"e1\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"e2\":{\"dtype\":\"I64\",\"shape\":[2,0],\"data_offsets\":[4,4]},\"__metadata__\":null}", [5, 0, 0, 0]);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["a", "e1", "e2"], file.Names);
        using var scope = new DisposeScope();
        Assert.Equal([5], file.Load("a").ToArray<int>());
        Assert.Equal(new long[] { 2, 0 }, file.Load("e2").Shape);
    }

    [Fact]
    public void Load_DTypeWithoutABindingCounterpart_IsListedButRejected()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.WriteRaw("i8.safetensors",
            "{\"q\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]},\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}",
            [1, 2, 3, 4]);
        using var file = SafetensorsFile.Open(path);
        Assert.Null(file.GetInfo("q").DType);
        Assert.Equal("I8", file.GetInfo("q").DTypeCode);
        var e = Assert.Throws<SafetensorsFormatException>(() => file.Load("q"));
        Assert.Equal(SafetensorsError.UnsupportedDType, e.Error);
        Assert.Contains(path, e.Message);
        Assert.Contains("tensor 'q'", e.Message);
        Assert.Contains("unsupported dtype I8", e.Message);
        using var scope = new DisposeScope();
        Assert.Equal([(byte)3, (byte)4], file.Load("u").ToArray<byte>());
        Assert.Throws<SafetensorsFormatException>(() => file.LoadAll());
    }

    [Fact]
    public void Load_BoolByteOtherThanZeroOrOne_IsRejected()
    {
        using var files = new SafetensorsTestFiles();
        var bytes = ValidFile(files);
        bytes[^2] = 2; // m = [true, 2, true]
        var path = files.PathOf("bool.safetensors");
        File.WriteAllBytes(path, bytes);
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<SafetensorsFormatException>(() => file.Load("m"));
        Assert.Equal(SafetensorsError.InvalidBoolValue, e.Error);
        Assert.Contains("tensor 'm'", e.Message);
        Assert.Contains("element 1 is the byte 2", e.Message);
    }

    [Fact]
    public void Open_PrefixOfAValidFile_EditedToPointPastTheEnd_IsRejected()
    {
        using var files = new SafetensorsTestFiles();
        var bytes = ValidFile(files);
        var n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, n + 64);
        var path = files.PathOf("prefix.safetensors");
        File.WriteAllBytes(path, bytes);
        AssertRejected(path, SafetensorsError.InvalidHeaderLength, null, $"{n + 64} bytes");
    }
}
