using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Checkpoints;

public class SafetensorsRoundTripTests
{
    private static Dictionary<string, Tensor> EveryDType() => new()
    {
        ["f32"] = Tensor.From<float>([1.5f, -2f, float.MaxValue, float.Epsilon, float.NaN, -0f], [2, 3]),
        ["f64"] = Tensor.From<double>([Math.PI, double.MinValue, double.NegativeInfinity, 1e-310], [4]),
        ["bf16"] = Tensor.From<BFloat16>([(BFloat16)1.5f, (BFloat16)(-3.25f), BFloat16.FromBits(0x7FC1), BFloat16.FromBits(0x0001)], [2, 2]),
        ["f16"] = Tensor.From<Half>([(Half)0.1, Half.MaxValue, Half.Epsilon, Half.NegativeInfinity], [1, 4]),
        ["i64"] = Tensor.From<long>([long.MinValue, -1, 0, long.MaxValue], [2, 1, 2]),
        ["i32"] = Tensor.From<int>([int.MinValue, 7, int.MaxValue], [3]),
        ["bool"] = Tensor.From<bool>([true, false, false, true, true], [5]),
        ["u8"] = Tensor.From<byte>([0, 1, 127, 128, 255], [5]),
        ["scalar.f32"] = Tensor.ScalarTensor(3.25),
        ["scalar.i64"] = Tensor.From<long>([-42], []),
        ["empty.bf16"] = Tensor.Zeros([0, 4], DType.BFloat16),
        ["empty.bool"] = Tensor.Zeros([3, 0], DType.Bool),
    };

    private static void AssertSameTensor(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(SafetensorsTestFiles.RawBytes(expected), SafetensorsTestFiles.RawBytes(actual));
    }

    [Fact]
    public void WriteThenRead_EveryDType_IsBitExact_WithMetadata()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var tensors = EveryDType();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"\n" };
        var path = files.PathOf("all.safetensors");

        SafetensorsWriter.Write(path, tensors, metadata);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), file.Names.Order(StringComparer.Ordinal));
        foreach (var (name, expected) in tensors)
        {
            var info = file.GetInfo(name);
            Assert.Equal(SafetensorsDTypes.Code(expected.DType), info.DTypeCode);
            Assert.Equal(expected.Shape, info.Shape);
            AssertSameTensor(expected, file.Load(name));
        }
    }

    [Fact]
    public void Write_OrdersTensorsLikeTheReference_ByAlignmentThenName_AndAlignsData()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var path = files.PathOf("order.safetensors");
        SafetensorsWriter.Write(path, EveryDType());

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(
            ["i64", "scalar.i64", "f64", "f32", "scalar.f32", "i32", "bf16", "empty.bf16", "f16", "u8", "bool", "empty.bool"],
            file.Names);
        // The header is padded to 8 bytes and larger elements come first, so every tensor is aligned.
        var dataStart = 8 + (long)BitConverter.ToUInt64(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0, dataStart % 8);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.DataBegin % t.ElementSize));
    }

    [Fact]
    public void ReadAll_ReturnsTensorsInDataOrder_AndNonContiguousInputsAreWrittenRowMajor()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var matrix = Tensor.Arange(0L, 6L, 1L, DType.Int32).Reshape(2, 3);
        var transposed = matrix.MT; // non-contiguous view
        var path = files.PathOf("t.safetensors");

        SafetensorsWriter.Write(path, [new("t", transposed), new("m", matrix)]);

        var loaded = SafetensorsFile.ReadAll(path);
        Assert.Equal(["m", "t"], loaded.Keys);
        Assert.Equal(new long[] { 3, 2 }, loaded["t"].Shape);
        Assert.Equal([0, 3, 1, 4, 2, 5], loaded["t"].ToArray<int>());
    }

    [Fact]
    public void Write_TensorLargerThanTheCopyChunk_RoundTrips()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        // 3M float32 = 12 MB, above the writer's 8 MB copy chunk, so it goes out in slices.
        var big = Tensor.Arange(0L, 3_000_000L, 1L, DType.Float32).Reshape(1000, 3000);
        var path = files.PathOf("big.safetensors");

        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["big"] = big });

        using var file = SafetensorsFile.Open(path);
        var loaded = file.Load("big");
        Assert.Equal(big.Shape, loaded.Shape);
        Assert.True(loaded.ToArray<float>().AsSpan().SequenceEqual(big.ToArray<float>()));
    }

    [Fact]
    public void Write_NoTensors_GivesTheReferenceEmptyFile()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.PathOf("empty.safetensors");
        SafetensorsWriter.Write(path, []);
        // {} padded with six spaces to 8 bytes: the reference's serialization of an empty map.
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32], File.ReadAllBytes(path));
        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Load_AfterDispose_Throws_ButLoadedTensorsStayValid()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var path = files.PathOf("d.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["x"] = Tensor.From<float>(1f, 2f) });
        var file = SafetensorsFile.Open(path);
        var x = file.Load("x");
        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.Load("x"));
        Assert.Equal([1f, 2f], x.ToArray<float>());
    }

    [Fact]
    public void Load_UnknownName_ThrowsKeyNotFound_NamingTheFile()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.PathOf("k.safetensors");
        SafetensorsWriter.Write(path, []);
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<KeyNotFoundException>(() => file.Load("missing"));
        Assert.Contains(path, e.Message);
        Assert.Contains("'missing'", e.Message);
    }

    [Fact]
    public void Write_RejectsDuplicateAndReservedNames()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var t = Tensor.Zeros(2);
        var path = files.PathOf("bad.safetensors");
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new("a", t), new("a", t)]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new("__metadata__", t)]));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(files.Folder));
    }

    [CudaFact]
    public void WriteFromCuda_ThenLoadToCuda_RoundTrips()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var cpu = Tensor.From<BFloat16>([(BFloat16)1.5f, (BFloat16)(-2f), (BFloat16)3f], [3]);
        var gpu = cpu.To(Device.Cuda());
        var path = files.PathOf("cuda.safetensors");

        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = gpu });

        using var file = SafetensorsFile.Open(path);
        var loaded = file.Load("w", Device.Cuda());
        Assert.Equal(DeviceType.Cuda, loaded.Device.Type);
        AssertSameTensor(cpu, loaded);
    }
}

/// <summary>A fact that needs CUDA; skipped with the reason where libtorch sees no GPU.</summary>
file sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!Cuda.IsAvailable) Skip = "no CUDA device visible to libtorch";
    }
}
