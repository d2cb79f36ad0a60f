// C# leg of the per-op overhead benchmark (tools/bench/op_overhead.sh runs it next to the C++ and
// Python legs on the same libtorch). Times a 1-element float32 add through the binding:
//   csharp_explicit_dispose_ns  `using var c = a + b;` outside any DisposeScope (each result arms a
//                               finalizer guard, disarmed by Dispose)
//   csharp_scoped_ns            `_ = a + b;` inside a DisposeScope disposed every 1,000 ops (the
//                               training-step pattern; no guard, freed in bulk at scope exit)
//   csharp_add_inplace_ns       a.Add_(b) (no handle minted)
//   csharp_scoped_explicit_dispose_ns  diagnostic: `using var c = a + b;` inside a DisposeScope
//                               (no guard, freed at once): separates the guard's cost in (a) from
//                               the bulk-free cost in (b)
// Each variant: warm-up batches, then the median ns/op of BATCHES timed batches of OPS ops.
// Usage: OpOverhead [batches] [ops_per_batch] [scope_size]   (defaults 15 200000 1000; ops rounded
// up to a multiple of scope_size; scope_size is a knob for ad-hoc runs, the report uses 1,000)
// Output: one "name value" line per measurement, plus "<name>_batches v,v,...".
using System.Diagnostics;
using System.Globalization;
using LowRankTrainer.Torch;

var inv = CultureInfo.InvariantCulture;
var batches = args.Length > 0 ? int.Parse(args[0], inv) : 15;
var ops = args.Length > 1 ? int.Parse(args[1], inv) : 200_000;
Bench.ScopeSize = args.Length > 2 ? int.Parse(args[2], inv) : 1000;
ops = (ops + Bench.ScopeSize - 1) / Bench.ScopeSize * Bench.ScopeSize;

TorchRuntime.NumThreads = 1;
var info = TorchRuntime.GetBuildInfo();
Console.WriteLine($"cs_torch_version {info.TorchVersion}");
Console.WriteLine($"cs_libtorch {Bench.MappedLibtorch()}");
Console.WriteLine($"cs_threads {TorchRuntime.NumThreads}");
Console.WriteLine($"cs_scope_size {Bench.ScopeSize}");
Console.WriteLine($"cs_runtime {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

using var a = Tensor.Ones(1);
using var b = Tensor.Full([1], 1e-3);
var liveBefore = Tensor.LiveCount;

Bench.Measure("csharp_explicit_dispose_ns", batches, ops, n => Bench.ExplicitDispose(a, b, n));
Bench.Measure("csharp_scoped_ns", batches, ops, n => Bench.Scoped(a, b, n));
Bench.Measure("csharp_add_inplace_ns", batches, ops, n => Bench.InPlace(a, b, n));
Bench.Measure("csharp_scoped_explicit_dispose_ns", batches, ops, n => Bench.ScopedExplicitDispose(a, b, n));

Console.WriteLine(string.Create(inv, $"cs_check {a.ToDouble():F3}"));
// Every minted handle must have been freed (a leak would make the numbers meaningless).
Console.WriteLine($"cs_leaked_handles {Tensor.LiveCount - liveBefore}");

internal static class Bench
{
    public static int ScopeSize { get; set; } = 1000;

    public static void ExplicitDispose(Tensor a, Tensor b, int n)
    {
        for (var i = 0; i < n; i++)
        {
            using var c = a + b;
        }
    }

    public static void Scoped(Tensor a, Tensor b, int n)
    {
        var size = ScopeSize;
        for (var i = 0; i < n; i += size)
        {
            using var scope = new DisposeScope();
            for (var j = 0; j < size; j++)
            {
                _ = a + b;
            }
        }
    }

    public static void ScopedExplicitDispose(Tensor a, Tensor b, int n)
    {
        var size = ScopeSize;
        for (var i = 0; i < n; i += size)
        {
            using var scope = new DisposeScope();
            for (var j = 0; j < size; j++)
            {
                using var c = a + b;
            }
        }
    }

    public static void InPlace(Tensor a, Tensor b, int n)
    {
        for (var i = 0; i < n; i++)
        {
            a.Add_(b);
        }
    }

    public static void Measure(string name, int batches, int ops, Action<int> body)
    {
        // Warm-up: lets tiered JIT reach its optimised code (OSR + tier 1) and the allocators settle.
        for (var w = 0; w < 4; w++) body(ops);
        var xs = new double[batches];
        for (var k = 0; k < batches; k++)
        {
            var t0 = Stopwatch.GetTimestamp();
            body(ops);
            var elapsed = Stopwatch.GetElapsedTime(t0);
            xs[k] = elapsed.TotalNanoseconds / ops;
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{name}_batches " + string.Join(",", xs.Select(x => x.ToString("F1", inv))));
        Array.Sort(xs);
        var median = xs.Length % 2 == 1 ? xs[xs.Length / 2] : 0.5 * (xs[xs.Length / 2 - 1] + xs[xs.Length / 2]);
        Console.WriteLine(string.Create(inv, $"{name} {median:F1}"));
    }

    public static string MappedLibtorch()
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var p = line.IndexOf('/', StringComparison.Ordinal);
            if (p >= 0 && line.Contains("libtorch_cpu", StringComparison.Ordinal)) return line[p..];
        }
        return "unknown";
    }
}
