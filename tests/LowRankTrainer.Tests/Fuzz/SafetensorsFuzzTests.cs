using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Fuzz;

/// <summary>
/// Fuzzes <see cref="SafetensorsFile"/> (issue #10): small valid files written by <see cref="SafetensorsWriter"/> (every
/// dtype, 0-dim and empty tensors, metadata), then truncated, bit-flipped (biased into the 8-byte length prefix and the
/// JSON header), given another length prefix, or with the header rewritten as JSON: offsets out of range, overlapping or
/// negative, wrong dtype names, shape/size mismatches, duplicate keys, deep nesting, junk. Opening and loading every
/// tensor must succeed or throw a <see cref="SafetensorsFormatException"/> naming the file and the tensor or header field.
/// Flips inside the data section legitimately succeed: the format has no checksum.
/// </summary>
public sealed class SafetensorsFuzzTests(ITestOutputHelper output)
{
    /// <summary>A tensor, or a header-level position: the prefix, a byte offset, the metadata or the data buffer's extent.</summary>
    private static readonly Regex Position = new(@"tensor '|header length prefix|8-byte header length|__metadata__|data buffer|\bbyte \d+", RegexOptions.CultureInvariant);

    private static readonly Lazy<byte[][]> ValidFiles = new(WriteValidFiles);

    [Fact]
    public void Fuzz_Safetensors_LoadsOrNamesTheFileAndTheTensor() => FuzzHarness.Run(output, nameof(SafetensorsFuzzTests), c =>
    {
        var r = c.Random;
        var valid = ValidFiles.Value;
        var which = r.Next(valid.Length);
        var bytes = valid[which];
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        c.Note($"valid file {which}: {bytes.Length} bytes, header {headerLength}");
        bytes = r.Next(5) switch
        {
            0 or 1 => r.Damage(bytes, (0, 8 + headerLength), c),
            2 => NewPrefix(r, bytes, headerLength, c),
            _ => RewriteHeader(r, bytes, headerLength, c),
        };
        var path = Path.Combine(c.Folder, $"case-{c.Seed}.safetensors");
        File.WriteAllBytes(path, bytes);
        try
        {
            using var scope = new DisposeScope();
            using var file = SafetensorsFile.Open(path);
            foreach (var info in file.Tensors)
            {
                var t = file.Load(info.Name);
                Assert.Equal(info.Shape, t.Shape);
            }
            return "ok";
        }
        catch (SafetensorsFormatException e)
        {
            return FuzzCase.Located(e.Message, path, Position, "SafetensorsFormatException: " + e.Error);
        }
    });

    private static byte[][] WriteValidFiles()
    {
        var folder = Path.Combine(Path.GetTempPath(), "lrt-fuzz-st-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var scope = new DisposeScope();
            Dictionary<string, Tensor>[] sets =
            [
                new()
                {
                    ["f32"] = Tensor.From<float>([1.5f, -2f, float.NaN, 0f, 1f, 2f], [2, 3]),
                    ["f64"] = Tensor.From<double>([Math.PI, -1e-310], [2]),
                    ["bf16"] = Tensor.From<BFloat16>([(BFloat16)1.5f, (BFloat16)(-3.25f)], [1, 2]),
                    ["f16"] = Tensor.From<Half>([(Half)0.1, Half.MaxValue, Half.Epsilon], [3]),
                    ["i64"] = Tensor.From<long>([long.MinValue, -1, 0, long.MaxValue], [2, 1, 2]),
                    ["i32"] = Tensor.From<int>([int.MinValue, 7, int.MaxValue], [3]),
                    ["bool"] = Tensor.From<bool>([true, false, true], [3]),
                    ["u8"] = Tensor.From<byte>([0, 1, 255], [3]),
                },
                new() { ["scalar"] = Tensor.ScalarTensor(3.25), ["layer.0.weight"] = Tensor.From<float>([1f, 2f, 3f, 4f], [2, 2]) },
                new() { ["empty.bf16"] = Tensor.Zeros([0, 4], DType.BFloat16), ["empty.bool"] = Tensor.Zeros([3, 0], DType.Bool), ["b"] = Tensor.From<long>([5], [1]) },
            ];
            var files = new byte[sets.Length][];
            for (var i = 0; i < sets.Length; i++)
            {
                var path = Path.Combine(folder, $"valid-{i}.safetensors");
                SafetensorsWriter.Write(path, sets[i], i == 1 ? null : new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünï \"q\"" });
                files[i] = File.ReadAllBytes(path);
            }
            return files;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Another 8-byte length prefix: off by a little, zero, past the file, above the 100 MB limit, all ones.</summary>
    private static byte[] NewPrefix(Random r, byte[] bytes, int headerLength, FuzzCase c)
    {
        var b = (byte[])bytes.Clone();
        var value = r.Pick<ulong>([0, 1, 2, (ulong)(headerLength - 1 - r.Next(8)), (ulong)(headerLength + 1 + r.Next(8)), (ulong)b.Length,
            (ulong)b.Length - 8, 100_000_000, 100_000_001, ulong.MaxValue, 1UL << 63, (ulong)r.NextInt64()]);
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        c.Note($"length prefix now {value}");
        return b;
    }

    /// <summary>Rewrites the header as JSON (structurally, or as junk) and usually fixes the prefix to its new length.</summary>
    private static byte[] RewriteHeader(Random r, byte[] bytes, int headerLength, FuzzCase c)
    {
        var header = JsonNode.Parse(bytes.AsSpan(8, headerLength))!.AsObject();
        var data = bytes.AsSpan(8 + headerLength).ToArray();
        var names = header.Select(p => p.Key).Where(k => k != "__metadata__").ToList();
        var name = r.Pick(names);
        var entry = header[name]!.AsObject();
        string text;
        switch (r.Next(9))
        {
            case 0:
            {
                var end = data.Length;
                JsonNode offsets = r.Next(7) switch
                {
                    0 => new JsonArray(0, end + 1 + r.Next(100)),
                    1 => new JsonArray(-1 - r.Next(10), 4),
                    2 => new JsonArray(4, 2),
                    3 => new JsonArray(long.MaxValue, long.MaxValue),
                    4 => new JsonArray(0.5, 4),
                    5 => new JsonArray(0),
                    _ => new JsonArray(r.Next(end + 1), r.Next(end + 1)),
                };
                entry["data_offsets"] = offsets;
                c.Note($"{name}.data_offsets = {offsets.ToJsonString()}");
                break;
            }
            case 1:
            {
                // Overlap or a gap: copy another tensor's offsets, or shift this one's.
                var other = header[r.Pick(names)]!["data_offsets"]!.DeepClone();
                entry["data_offsets"] = r.Next(2) == 0 ? other : new JsonArray((long)other[0]! + 1, (long)other[1]! + 1);
                c.Note($"{name}.data_offsets = {entry["data_offsets"]!.ToJsonString()}");
                break;
            }
            case 2:
            {
                JsonNode dtype = r.Pick<JsonNode>(["F8", "f32", "", "FLOAT", "U64", "I8", "F8_E4M3", "C64", "BOOL", "F4", 5, new JsonArray(), "F32\u0000"]);
                entry["dtype"] = dtype;
                c.Note($"{name}.dtype = {dtype.ToJsonString()}");
                break;
            }
            case 3:
            {
                JsonNode shape = r.Next(8) switch
                {
                    0 => new JsonArray(-1),
                    1 => new JsonArray(1L << 62, 1L << 62),
                    2 => new JsonArray(long.MaxValue),
                    3 => new JsonArray(new JsonArray(2)),
                    4 => new JsonArray("2", 3),
                    5 => new JsonArray(2.5),
                    6 => new JsonArray(),
                    _ => new JsonArray(r.Next(10), r.Next(10)),
                };
                entry["shape"] = shape;
                c.Note($"{name}.shape = {shape.ToJsonString()}");
                break;
            }
            case 4:
            {
                var field = r.Pick(["dtype", "shape", "data_offsets"]);
                if (r.Next(2) == 0) entry.Remove(field);
                else entry[field] = null;
                entry["extra"] = r.Next(10);
                c.Note($"{name}: {field} removed or null, extra field added");
                break;
            }
            case 5:
            {
                JsonNode? metadata = r.Next(5) switch
                {
                    0 => new JsonArray(1, 2),
                    1 => new JsonObject { ["a"] = 1 },
                    2 => new JsonObject { ["a"] = new JsonObject() },
                    3 => "text",
                    _ => null,
                };
                header["__metadata__"] = metadata;
                c.Note($"__metadata__ = {metadata?.ToJsonString() ?? "null"}");
                break;
            }
            case 6:
            {
                header[r.Pick(["", "x", "__metadata__x", "😀", "a\u0000b"])] = r.Next(2) == 0 ? entry.DeepClone() : JsonValue.Create(r.Next());
                c.Note("extra top-level key");
                break;
            }
            default:
                break;
        }
        text = header.ToJsonString();
        switch (r.Next(9))
        {
            case 7:
            {
                // A duplicate key: the same name again, first in the object.
                var dup = $"\"{(r.Next(4) == 0 ? "__metadata__" : name)}\":{entry.ToJsonString()},";
                text = "{" + dup + text[1..];
                c.Note($"duplicate key {dup[..Math.Min(dup.Length, 40)]}");
                break;
            }
            case 8:
            {
                var depth = r.Pick([63, 64, 65, 1000, 100_000]);
                text = "{\"deep\":" + new string('[', depth) + new string(']', depth) + "," + text[1..];
                c.Note($"nesting {depth} deep");
                break;
            }
            case 6:
            {
                text = JunkJson(r);
                c.Note($"junk header {text}");
                break;
            }
            default:
                break;
        }
        var json = Encoding.UTF8.GetBytes(text);
        var result = new byte[8 + json.Length + data.Length];
        var prefix = r.Next(6) == 0 ? (ulong)headerLength : (ulong)json.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(result, prefix);
        json.CopyTo(result, 8);
        data.CopyTo(result, 8 + json.Length);
        c.Note($"prefix {prefix} for a {json.Length}-byte header");
        return result;
    }

    private static string JunkJson(Random r)
    {
        var pieces = new[] { "{", "}", "[", "]", "\"", ":", ",", "\"x\"", "1", "-1", "1e999", "null", "true", "\\u00", "\"dtype\"", "\"F32\"", "\"shape\"", "\"data_offsets\"", " ", "\n", "\u00e9" };
        var sb = new StringBuilder(r.Next(2) == 0 ? "{" : "");
        for (var i = r.Next(30); i > 0; i--) sb.Append(r.Pick(pieces));
        return sb.ToString();
    }
}
