using System.Text.RegularExpressions;

namespace LowRankTrainer.Torch.Tests.Native;

/// <summary>
/// The C exports of src/native and the P/Invoke declarations in src/LowRankTrainer.Torch/Native must
/// agree exactly: a mismatch in a parameter's type or position is silent memory corruption, not an
/// exception. This reads both sources and compares every signature.
/// </summary>
public partial class NativeSignatureTests
{
    private static readonly Dictionary<string, string> _cToCSharp = new()
    {
        ["ts_tensor"] = "nint", ["ts_tensor*"] = "nint*", ["const ts_tensor*"] = "nint*",
        ["ts_generator"] = "nint", ["ts_generator*"] = "nint*",
        ["int"] = "int", ["int*"] = "int*", ["int64_t"] = "long", ["int64_t*"] = "long*", ["const int64_t*"] = "long*",
        ["uint64_t"] = "ulong", ["uint64_t*"] = "ulong*", ["double"] = "double", ["double*"] = "double*",
        ["ts_scalar"] = "Scalar", ["const char*"] = "byte*", ["char*"] = "byte*",
        ["void*"] = "void*", ["void**"] = "void**", ["const void*"] = "void*", ["void"] = "void",
    };

    private static readonly Dictionary<string, string> _macros = new()
    {
        ["TS_SHAPE_PARAMS"] = "const int64_t *shape, int ndim, int dtype, int devtype, int devidx",
        ["TS_RAND_PARAMS"] = "const int64_t *shape, int ndim, int dtype, int devtype, int devidx, ts_generator gen",
        ["TS_DIMS"] = "const int64_t *dims, int ndims, int keepdim",
    };

    [GeneratedRegex(@"^(TS_TENSOR_FN|TS_INPLACE_FN)\((\w+),\s*\(([^)]*)\)", RegexOptions.Multiline)]
    private static partial Regex MacroExport();

    [GeneratedRegex(@"^TS_API\s+([\w\s\*]+?)\s*(ts_\w+)\(([^)]*)\)", RegexOptions.Multiline)]
    private static partial Regex PlainExport();

    [GeneratedRegex(@"internal static partial (\S+) (ts_\w+)\(([^)]*)\);")]
    private static partial Regex Declaration();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LowRankTrainer.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("LowRankTrainer.sln not found above the test binaries");
    }

    private static string Normalise(string cType) =>
        Regex.Replace(cType.Replace("*", " * ", StringComparison.Ordinal), @"\s+", " ").Trim()
             .Replace(" *", "*", StringComparison.Ordinal);

    private static Dictionary<string, string> NativeExports()
    {
        var exports = new Dictionary<string, string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "src", "native"), "shim_*.cpp"))
        {
            var text = File.ReadAllText(file);
            foreach (Match m in MacroExport().Matches(text))
                exports.Add("ts_" + m.Groups[2].Value, "int(" + CParams(m.Groups[3].Value) + ")");
            foreach (Match m in PlainExport().Matches(text))
                exports.Add(m.Groups[2].Value, _cToCSharp[Normalise(m.Groups[1].Value)] + "(" + CParams(m.Groups[3].Value) + ")");
        }
        return exports;
    }

    private static string CParams(string list)
    {
        foreach (var (macro, expansion) in _macros) list = list.Replace(macro, expansion, StringComparison.Ordinal);
        var types = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p =>
            {
                var norm = Normalise(p);
                var cut = Math.Max(norm.LastIndexOf(' '), norm.LastIndexOf('*'));
                var type = Normalise(norm[..(cut + 1)]);
                return _cToCSharp.TryGetValue(type, out var cs) ? cs : $"<unmapped C type '{type}'>";
            });
        return string.Join(",", types);
    }

    private static Dictionary<string, string> ManagedDeclarations()
    {
        var decls = new Dictionary<string, string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "src", "LowRankTrainer.Torch", "Native"), "*.cs"))
        {
            foreach (Match m in Declaration().Matches(File.ReadAllText(file)))
            {
                var types = m.Groups[3].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(p => p[..p.LastIndexOf(' ')].Trim());
                decls.Add(m.Groups[2].Value, m.Groups[1].Value + "(" + string.Join(",", types) + ")");
            }
        }
        return decls;
    }

    [Fact]
    public void EveryExport_HasAMatchingDeclaration_AndViceVersa()
    {
        var native = NativeExports();
        var managed = ManagedDeclarations();
        Assert.True(native.Count > 150, $"parsed only {native.Count} exports: the parser is out of step with shim.h");
        var problems = new List<string>();
        foreach (var (name, signature) in native)
        {
            if (!managed.TryGetValue(name, out var declared)) problems.Add($"{name}: exported as {signature} but not declared in C#");
            else if (declared != signature) problems.Add($"{name}: C++ {signature} vs C# {declared}");
        }
        problems.AddRange(managed.Keys.Except(native.Keys).Select(n => $"{n}: declared in C# but not exported by the shim"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
