using System.Text.Json;

namespace LowRankTrainer.Torch.Tests.Nn;

/// <summary>
/// Reads tests/fixtures/nn/*.json, written by tools/fixtures/make_nn_fixture.py with PyTorch 1.13:
/// each tensor is {"dtype", "shape", "data"} with the doubles in exact round-trip form.
/// </summary>
internal static class NnFixture
{
    private static readonly Dictionary<string, JsonDocument> _cache = [];

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "LowRankTrainer.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("LowRankTrainer.sln not found above the test binaries");
    }

    public static JsonElement File(string name)
    {
        lock (_cache)
        {
            if (!_cache.TryGetValue(name, out var doc))
            {
                var path = Path.Combine(RepoRoot(), "tests", "fixtures", "nn", name);
                doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
                _cache[name] = doc;
            }
            return doc.RootElement;
        }
    }

    public static JsonElement Case(string file, string name) =>
        File(file).GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static TheoryData<string> CaseNames(string file)
    {
        var data = new TheoryData<string>();
        foreach (var c in File(file).GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    public static long[] Shape(JsonElement t) => t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    public static double[] Data(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(e => e.ValueKind switch
    {
        JsonValueKind.True => 1.0,
        JsonValueKind.False => 0.0,
        _ => e.GetDouble(),
    }).ToArray();

    /// <summary>A new tensor with the stored dtype, shape and values (the caller's scope owns it).</summary>
    public static Tensor ToTensor(JsonElement t)
    {
        var shape = Shape(t);
        var dtype = t.GetProperty("dtype").GetString();
        var data = t.GetProperty("data");
        return dtype switch
        {
            "float64" => Tensor.From<double>(Data(t), shape),
            "float32" => Tensor.From<float>(Data(t).Select(v => (float)v).ToArray(), shape),
            "int64" => Tensor.From<long>(data.EnumerateArray().Select(e => e.GetInt64()).ToArray(), shape),
            "bool" => Tensor.From<bool>(data.EnumerateArray().Select(e => e.GetBoolean()).ToArray(), shape),
            _ => throw new InvalidOperationException($"unknown fixture dtype {dtype}"),
        };
    }

    /// <summary>Asserts a tensor equals a stored one in shape and, within atol + rtol·|expected|, in value.</summary>
    public static void AssertClose(JsonElement expected, Tensor actual, string what, double atol = 1e-10, double rtol = 1e-10)
    {
        Assert.Equal(Shape(expected), actual.Shape);
        var e = Data(expected);
        using var asDouble = actual.To(DType.Float64);
        var a = asDouble.ToArray<double>();
        var worst = 0.0;
        var at = -1;
        for (var i = 0; i < e.Length; i++)
        {
            var err = Math.Abs(e[i] - a[i]) - (rtol * Math.Abs(e[i]));
            if (double.IsNaN(a[i]) != double.IsNaN(e[i])) err = double.PositiveInfinity;
            if (err > worst) (worst, at) = (err, i);
        }
        Assert.True(worst <= atol, $"{what}: element {at} expected {(at >= 0 ? e[at] : 0):R}, got {(at >= 0 ? a[at] : 0):R}");
    }
}
