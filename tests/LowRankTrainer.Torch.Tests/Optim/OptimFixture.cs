using System.Text.Json;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Optim;

/// <summary>Tests that compare live-handle counts with a baseline run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public static class OptimSerial
{
    public const string Name = "Optim (live counts)";
}

/// <summary>
/// Reads the reference trajectories that tools/fixtures/make_optim_fixture.py computed with PyTorch
/// (tests/fixtures/optim/*.json) and compares tensors with them.
/// </summary>
internal static class OptimFixture
{
    private static readonly Dictionary<string, JsonElement> _cache = [];

    /// <summary>The "cases" array of tests/fixtures/optim/{name}.json.</summary>
    public static IEnumerable<JsonElement> Cases(string name)
    {
        lock (_cache)
        {
            if (!_cache.TryGetValue(name, out var cases))
            {
                var path = Path.Combine(RepoRoot(), "tests", "fixtures", "optim", name + ".json");
                using var doc = JsonDocument.Parse(File.ReadAllText(path));
                _cache[name] = cases = doc.RootElement.GetProperty("cases").Clone();
            }
            return cases.EnumerateArray().ToArray();
        }
    }

    /// <summary>The case named <paramref name="caseName"/> in a fixture file.</summary>
    public static JsonElement Case(string file, string caseName) =>
        Cases(file).Single(c => c.GetProperty("name").GetString() == caseName);

    /// <summary>Case names of a fixture file, as xUnit theory data.</summary>
    public static TheoryData<string> Names(string file)
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases(file)) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LowRankTrainer.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("LowRankTrainer.sln not found above the test binaries");
    }

    public static DType DTypeOf(JsonElement c) => c.GetProperty("dtype").GetString() switch
    {
        "float64" => DType.Float64,
        "float32" => DType.Float32,
        var s => throw new InvalidDataException($"unexpected dtype {s}"),
    };

    /// <summary>A tensor from {"shape", "data"} (null → null) in the given dtype.</summary>
    public static Tensor? ToTensor(JsonElement e, DType dtype)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var data = Data(e);
        return dtype == DType.Float64 ? Tensor.From<double>(data, shape) : Tensor.From<float>(Array.ConvertAll(data, v => (float)v), shape);
    }

    public static double[] Data(JsonElement e) => e.GetProperty("data").EnumerateArray().Select(x => x.GetDouble()).ToArray();

    /// <summary>Fresh leaf parameters (outside any scope) from a case's "params".</summary>
    public static Tensor[] Params(JsonElement c)
    {
        var dtype = DTypeOf(c);
        using var _ = DisposeScope.Suspend();
        return c.GetProperty("params").EnumerateArray().Select(e => ToTensor(e, dtype)!.RequiresGrad_()).ToArray();
    }

    /// <summary>Sets each parameter's .grad to step <paramref name="k"/>'s gradient of the case (null clears it).</summary>
    public static void SetGrads(JsonElement c, int k, Tensor[] ps)
    {
        var dtype = DTypeOf(c);
        using var scope = new DisposeScope();
        var grads = c.GetProperty("grads")[k].EnumerateArray().ToArray();
        for (var i = 0; i < ps.Length; i++) ps[i].Grad = ToTensor(grads[i], dtype);
    }

    /// <summary>Relative tolerance for the dtype: float64 must agree to ~1e-12, float32 to ~1e-6.</summary>
    public static double Rtol(DType dtype) => dtype == DType.Float64 ? 1e-12 : 1e-6;

    /// <summary>Asserts the tensor equals the JSON tensor within the dtype's tolerance, naming <paramref name="what"/>.</summary>
    public static void AssertClose(JsonElement expected, Tensor actual, string what)
    {
        var shape = expected.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        Assert.True(shape.SequenceEqual(actual.Shape), $"{what}: shape [{string.Join(",", actual.Shape)}], expected [{string.Join(",", shape)}]");
        var e = Data(expected);
        var a = actual.DType == DType.Float32 ? Array.ConvertAll(actual.ToArray<float>(), v => (double)v) : actual.ToArray<double>();
        var rtol = Rtol(actual.DType);
        for (var i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= rtol * (Math.Abs(e[i]) + 1e-3),
                        $"{what}[{i}]: expected {e[i]:R}, got {a[i]:R} (diff {Math.Abs(e[i] - a[i]):E2})");
        }
    }
}
