using System.Text.Json;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Checkpoints;

/// <summary>
/// Reads tests/fixtures/safetensors/independent.safetensors, written by
/// tools/fixtures/make_safetensors_fixture.py (PyTorch's own tensors, a header encoded with Python's
/// json module, data in insertion order rather than the reference's), and compares every tensor with
/// the values the script recorded in independent.expected.json, bit for bit.
/// </summary>
public class SafetensorsFixtureTests
{
    private static string FixturePath(string name) =>
        Path.Combine(SafetensorsTestFiles.RepositoryRoot(), "tests", "fixtures", "safetensors", name);

    [Fact]
    public void IndependentFixture_ReadsExactly()
    {
        using var expectedDoc = JsonDocument.Parse(File.ReadAllBytes(FixturePath("independent.expected.json")));
        var expected = expectedDoc.RootElement;
        using var file = SafetensorsFile.Open(FixturePath("independent.safetensors"));
        using var scope = new DisposeScope();

        var expectedMetadata = expected.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(expectedMetadata, file.Metadata);
        Assert.Equal("pt", file.Metadata["format"]);

        var expectedTensors = expected.GetProperty("tensors").EnumerateObject().ToList();
        // The script laid the data out in its insertion order, which is the order of the expected file.
        Assert.Equal(expectedTensors.Select(p => p.Name), file.Names);
        Assert.Equal(10, expectedTensors.Count);

        foreach (var entry in expectedTensors)
        {
            var name = entry.Name;
            var code = entry.Value.GetProperty("dtype").GetString()!;
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var values = entry.Value.GetProperty("values").EnumerateArray().ToArray();

            var info = file.GetInfo(name);
            Assert.Equal(code, info.DTypeCode);
            Assert.Equal(shape, info.Shape);
            var t = file.Load(name);
            Assert.Equal(shape, t.Shape);
            Assert.Equal(values.Length, t.NumEl);
            AssertValues(name, t, values);
        }
    }

    [Fact]
    public void IndependentFixture_RewrittenByOurWriter_ReadsBackTheSame()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        using var original = SafetensorsFile.Open(FixturePath("independent.safetensors"));
        var tensors = original.LoadAll();
        var path = files.PathOf("rewritten.safetensors");

        SafetensorsWriter.Write(path, tensors, original.Metadata.ToDictionary());

        using var rewritten = SafetensorsFile.Open(path);
        Assert.Equal(original.Metadata, rewritten.Metadata);
        Assert.Equal(original.Names.Order(StringComparer.Ordinal), rewritten.Names.Order(StringComparer.Ordinal));
        foreach (var (name, t) in tensors)
        {
            var back = rewritten.Load(name);
            Assert.Equal(t.Shape, back.Shape);
            Assert.Equal(SafetensorsTestFiles.RawBytes(t), SafetensorsTestFiles.RawBytes(back));
        }
    }

    private static void AssertValues(string name, Tensor t, JsonElement[] values)
    {
        // Floats compare as the bits of the exact double (the JSON holds Python's round-trip repr), so -0.0 counts.
        static void Bits(string name, double expected, double actual) =>
            Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
                        $"{name}: expected {expected:R}, read {actual:R}");

        switch (t.DType)
        {
            case DType.Float32:
                var f32 = t.ToArray<float>();
                for (var i = 0; i < values.Length; i++) Bits(name, values[i].GetDouble(), f32[i]);
                break;
            case DType.Float64:
                var f64 = t.ToArray<double>();
                for (var i = 0; i < values.Length; i++) Bits(name, values[i].GetDouble(), f64[i]);
                break;
            case DType.BFloat16:
                var bf16 = t.ToArray<BFloat16>();
                for (var i = 0; i < values.Length; i++) Bits(name, values[i].GetDouble(), (float)bf16[i]);
                break;
            case DType.Float16:
                var f16 = t.ToArray<Half>();
                for (var i = 0; i < values.Length; i++) Bits(name, values[i].GetDouble(), (double)f16[i]);
                break;
            case DType.Int64:
                Assert.Equal(values.Select(v => v.GetInt64()), t.ToArray<long>());
                break;
            case DType.Int32:
                Assert.Equal(values.Select(v => v.GetInt32()), t.ToArray<int>());
                break;
            case DType.Bool:
                Assert.Equal(values.Select(v => v.GetBoolean()), t.ToArray<bool>());
                break;
            case DType.UInt8:
                Assert.Equal(values.Select(v => v.GetByte()), t.ToArray<byte>());
                break;
            default:
                Assert.Fail($"{name}: unexpected dtype {t.DType}");
                break;
        }
    }
}
