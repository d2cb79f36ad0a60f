using System.Text;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Checkpoints;

/// <summary>The writer's exact bytes, computed by hand from the format.</summary>
public class SafetensorsHeaderBytesTests
{
    [Fact]
    public void Write_SmallFile_MatchesHandComputedBytes()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var path = files.PathOf("small.safetensors");

        SafetensorsWriter.Write(path,
            new Dictionary<string, Tensor>
            {
                ["a"] = Tensor.From<Half>([(Half)1.0, (Half)(-2.0)], [2]),
                ["b"] = Tensor.From<long>([7], []),
            },
            new Dictionary<string, string> { ["format"] = "pt" });

        // I64 sorts before F16 (alignment descending), so b takes bytes [0, 8) and a [8, 12).
        const string json = "{\"__metadata__\":{\"format\":\"pt\"},"
                          + "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                          + "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
        Assert.Equal(138, json.Length);                    // counted: 32 + 52 + 54
        var header = json + "      ";                     // padded with 6 spaces to 144, a multiple of 8
        var expected = new List<byte> { 144, 0, 0, 0, 0, 0, 0, 0 }; // u64 little-endian header length
        expected.AddRange(Encoding.ASCII.GetBytes(header));
        expected.AddRange(new byte[] { 7, 0, 0, 0, 0, 0, 0, 0 }); // b = 7 as int64 LE
        expected.AddRange(new byte[] { 0x00, 0x3C, 0x00, 0xC0 }); // a = half 1.0 (0x3C00), -2.0 (0xC000) LE
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Write_ReferenceExample_NeedsNoPadding()
    {
        // The example of the reference's own serialization test: F32 [1, 2, 3] holding 0..5 named
        // "attn.0" gives a 64-byte header, already a multiple of 8.
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var path = files.PathOf("attn.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor>
        {
            ["attn.0"] = Tensor.From<float>([0f, 1f, 2f, 3f, 4f, 5f], [1, 2, 3]),
        });

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(64, BitConverter.ToInt64(bytes, 0));
        Assert.Equal("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}",
                     Encoding.UTF8.GetString(bytes, 8, 64));
        Assert.Equal(8 + 64 + 24, bytes.Length);
        Assert.Equal(new byte[] { 0, 0, 128, 63 }, bytes[(8 + 64 + 4)..(8 + 64 + 8)]); // 1.0f LE
    }

    [Fact]
    public void Write_EscapesNamesLikeSerdeJson_AndReadsThemBack()
    {
        using var files = new SafetensorsTestFiles();
        using var scope = new DisposeScope();
        var path = files.PathOf("names.safetensors");
        const string name = "q\"uote\\back\tslash\u0001é";
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { [name] = Tensor.From<byte>([9]) });

        var bytes = File.ReadAllBytes(path);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToInt64(bytes, 0));
        Assert.StartsWith("{\"q\\\"uote\\\\back\\tslash\\u0001é\":", header);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([name], file.Names);
        Assert.Equal([(byte)9], file.Load(name).ToArray<byte>());
    }
}
