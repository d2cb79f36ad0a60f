// FWHT benchmark (tools/bench/fwht.sh runs it). For each length n = 2^k, float32, one intra-op thread:
//   fwht  — Tensor.Fwht_() in place on one row of n floats (the native cache-blocked transform);
//   copy  — dst.Copy_(src) of the same n floats: one read and one write of the array, the least any
//           in-place transform must move (its memory-bandwidth bound);
//   add   — a.Add_(b): two reads and one write (a STREAM-style "add" for reference).
// Each figure is the median over BATCHES timed batches of enough calls for ~50 ms. Reported: ms per
// call, effective GB/s as 2·n·4 bytes per call for fwht and copy (3·n·4 for add), and the ratio
// fwht GB/s ÷ copy GB/s (1.0 would be a transform as fast as a single copy pass).
// Then the intrinsic-subspace step on the FC 784-200-200-10 net (D = 199,210, batch 128): the
// Fastfood projection P·θ forward+backward alone, and a full forward+backward+SGD update of θ, next
// to the same step of the plain net trained directly.
// Usage: Fwht [batches] [log2 sizes]   (defaults 7, "12,14,16,18,20,22")
// Output: "name value" lines.
using System.Diagnostics;
using System.Globalization;
using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Intrinsic;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

var inv = CultureInfo.InvariantCulture;
var batches = args.Length > 0 ? int.Parse(args[0], inv) : 7;
var logs = (args.Length > 1 ? args[1] : "12,14,16,18,20,22").Split(',').Select(s => int.Parse(s, inv)).ToArray();
TorchRuntime.NumThreads = 1;
Console.WriteLine($"threads {TorchRuntime.NumThreads}");

using var gen = new Generator(1);
foreach (var k in logs)
{
    var n = 1L << k;
    using var x = Tensor.Randn([n], gen);
    using var y = Tensor.Randn([n], gen);
    var fwht = Bench.Median(batches, () => x.Fwht_());
    var copy = Bench.Median(batches, () => y.Copy_(x));
    var add = Bench.Median(batches, () => y.Add_(x));
    var bytes = 2.0 * n * sizeof(float);
    Console.WriteLine(string.Create(inv, $"k{k}_fwht_ms {fwht:F4}"));
    Console.WriteLine(string.Create(inv, $"k{k}_copy_ms {copy:F4}"));
    Console.WriteLine(string.Create(inv, $"k{k}_add_ms {add:F4}"));
    Console.WriteLine(string.Create(inv, $"k{k}_fwht_gbs {bytes / fwht / 1e6:F2}"));
    Console.WriteLine(string.Create(inv, $"k{k}_copy_gbs {bytes / copy / 1e6:F2}"));
    Console.WriteLine(string.Create(inv, $"k{k}_add_gbs {1.5 * bytes / add / 1e6:F2}"));
    Console.WriteLine(string.Create(inv, $"k{k}_ratio {copy / fwht:F3}"));
}

// ---- the intrinsic-subspace step ----
using (var ff = new FastfoodProjection(199_210, 1000, gen))
{
    using var theta = Tensor.Zeros(1000).RequiresGrad_();
    using var w = Tensor.Randn([199_210], gen);
    var ms = Bench.Median(batches, () =>
    {
        using var scope = new DisposeScope();
        (ff.Apply(theta) * w).Sum().Backward();
    });
    Console.WriteLine(string.Create(inv, $"fastfood_fwd_bwd_ms {ms:F3}"));
}
foreach (var adapted in new[] { false, true })
{
    using var g = new Generator(2);
    using var model = new Mlp(784, [200, 200], 10, 0, g);
    var parameters = adapted
        ? AdapterModel.Inject(model, new IntrinsicOptions { D = 1000 }).TrainableParameters().Select(p => p.Value).ToList()
        : model.Parameters().ToList();
    using var xb = Tensor.Randn([128, 784], g);
    using var yb = Tensor.RandInt(0, 10, [128], g);
    var ms = Bench.Median(batches, () =>
    {
        using (var scope = new DisposeScope())
        {
            Functional.CrossEntropy(model.Forward(xb), yb).Backward();
            using var noGrad = Autograd.NoGrad();
            foreach (var p in parameters) p.Sub_(p.Grad!, 1e-3);
        }
        Autograd.ZeroGrad(parameters);
    });
    Console.WriteLine(string.Create(inv, $"{(adapted ? "intrinsic_d1000" : "direct")}_step_ms {ms:F3}"));
}

internal static class Bench
{
    /// <summary>Median ms per call over <paramref name="batches"/> timed batches of about 50 ms each (after one warm-up batch).</summary>
    public static double Median(int batches, Action call)
    {
        call();
        var sw = Stopwatch.StartNew();
        var calls = 0;
        while (sw.Elapsed.TotalMilliseconds < 50 || calls < 3)
        {
            call();
            calls++;
        }
        var times = new double[batches];
        for (var b = 0; b < batches; b++)
        {
            sw.Restart();
            for (var i = 0; i < calls; i++) call();
            times[b] = sw.Elapsed.TotalMilliseconds / calls;
        }
        Array.Sort(times);
        return times[batches / 2];
    }
}
