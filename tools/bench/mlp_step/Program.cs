// C# leg of the MLP training-step benchmark (tools/bench/mlp_step.sh runs it next to the PyTorch
// leg, mlp_step.py, on the same libtorch). The model is MLP 784-256-256-10 built from the binding's
// nn: Sequential(Linear, ReLU, Linear, ReLU, Linear), trained with AdamW(lr 1e-3, betas (0.9, 0.999),
// eps 1e-8, weight_decay 0.01) on one fixed random batch [B, 784] with int64 labels in [0, 10).
// One step, all temporaries in a DisposeScope:
//     optimizer.ZeroGrad(setToNone: true); loss = CrossEntropy(model.Forward(x), y);
//     loss.Backward(); optimizer.Step();
// For each batch size: warm-up batches of steps, then BATCHES timed batches of STEPS steps; the
// figure is the median ms/step over the timed batches. Inside the timed batches each phase is also
// timed with Stopwatch timestamps (zero_grad, forward+loss, backward, optimizer step, scope
// disposal) to show where the time goes, and the minor page faults per step are counted (from
// /proc/self/stat). Checks: the loss decreases over the run, and Tensor.LiveCount is the same after every timed batch (no handle leaks per step).
// Usage: MlpStep [batches] [batch_sizes] [optimizer]   (defaults 11, "32,128,1024", "foreach";
// "fused" steps with AdamW(fused: true), the single-pass kernel of optim adamw_torch_fused, and
// prefixes its per-batch-size lines with "csfused_" instead of "cs_")
// Diagnostic knob: MLP_MALLOPT=1 calls glibc's mallopt at start (M_MMAP_THRESHOLD 32 MiB,
// M_TRIM_THRESHOLD 1 GiB): the in-process form of the fix proposed in BENCHMARKS.md. Off by default.
// Output: "name value" lines; "<name>_batches v,v,..." holds the per-batch ms/step.
using System.Diagnostics;
using System.Globalization;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim;

var inv = CultureInfo.InvariantCulture;
var batches = args.Length > 0 ? int.Parse(args[0], inv) : 11;
var sizes = (args.Length > 1 ? args[1] : "32,128,1024").Split(',').Select(s => int.Parse(s, inv)).ToArray();
var fused = (args.Length > 2 ? args[2] : "foreach") switch
{
    "foreach" => false,
    "fused" => true,
    var o => throw new ArgumentException($"optimizer must be foreach or fused, got '{o}'"),
};

if (Environment.GetEnvironmentVariable("MLP_MALLOPT") == "1")
{
    // M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3 (malloc.h); mallopt returns 1 on success.
    var ok = Bench.Mallopt(-3, 32 << 20) == 1 && Bench.Mallopt(-1, 1 << 30) == 1;
    Console.WriteLine($"cs_mallopt {(ok ? 1 : 0)}");
}
TorchRuntime.NumThreads = 1;
var info = TorchRuntime.GetBuildInfo();
Console.WriteLine($"cs_torch_version {info.TorchVersion}");
Console.WriteLine($"cs_libtorch {Bench.MappedLibtorch()}");
Console.WriteLine($"cs_threads {TorchRuntime.NumThreads}");
Console.WriteLine($"cs_runtime {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

Console.WriteLine($"cs_adamw_fused {(fused ? 1 : 0)}");

foreach (var b in sizes) Bench.Run(b, batches, fused);

internal static partial class Bench
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "mallopt")]
    internal static partial int Mallopt(int param, int value);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Steps per timed batch: about 0.1–0.3 s of work per batch on one core.</summary>
    public static int StepsPerBatch(int b) => b <= 32 ? 60 : b <= 128 ? 25 : 4;

    public static void Run(int b, int batches, bool fused)
    {
        var pre = fused ? $"csfused_b{b}" : $"cs_b{b}";
        TorchRuntime.ManualSeed(0);
        using var model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 256), new ReLU(), new Linear(256, 10));
        using var opt = new AdamW(model.Parameters(), lr: 1e-3, weightDecay: 0.01, fused: fused);
        using var x = Tensor.Randn([b, 784]);
        var labels = new long[b];
        for (var i = 0; i < b; i++) labels[i] = (i * 7 + 3) % 10;
        using var y = Tensor.From<long>(labels, [b]);

        var steps = StepsPerBatch(b);
        var warmup = 2;
        var firstLoss = double.NaN;
        var lastLoss = double.NaN;
        var ms = new List<double>();
        var phase = new long[5];  // zero_grad, forward+loss, backward, step, scope dispose
        var live = new List<long>();
        long faults = 0;
        for (var batch = 0; batch < warmup + batches; batch++)
        {
            var timed = batch >= warmup;
            var f0 = MinorFaults();
            var t0 = Stopwatch.GetTimestamp();
            for (var s = 0; s < steps; s++)
            {
                var wantLoss = (batch == 0 && s == 0) || (batch == warmup + batches - 1 && s == steps - 1);
                var a = Stopwatch.GetTimestamp();
                long c1, c2, c3, c4;
                using (new DisposeScope())
                {
                    opt.ZeroGrad(setToNone: true);
                    c1 = Stopwatch.GetTimestamp();
                    var loss = Functional.CrossEntropy(model.Forward(x), y);
                    c2 = Stopwatch.GetTimestamp();
                    loss.Backward();
                    c3 = Stopwatch.GetTimestamp();
                    opt.Step();
                    c4 = Stopwatch.GetTimestamp();
                    if (wantLoss)
                    {
                        var l = loss.ToDouble();
                        if (batch == 0) firstLoss = l; else lastLoss = l;
                    }
                }
                var c5 = Stopwatch.GetTimestamp();
                if (timed)
                {
                    phase[0] += c1 - a; phase[1] += c2 - c1; phase[2] += c3 - c2; phase[3] += c4 - c3; phase[4] += c5 - c4;
                }
            }
            var t1 = Stopwatch.GetTimestamp();
            if (timed)
            {
                faults += MinorFaults() - f0;
                ms.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds / steps);
                live.Add(Tensor.LiveCount);
            }
        }
        ms.Sort();
        var median = ms.Count % 2 == 1 ? ms[ms.Count / 2] : (ms[ms.Count / 2 - 1] + ms[ms.Count / 2]) / 2;
        var n = (double)batches * steps;
        string F(double v) => v.ToString("F4", Inv);
        Console.WriteLine($"{pre}_steps_per_batch {steps}");
        Console.WriteLine($"{pre}_ms {F(median)}");
        Console.WriteLine($"{pre}_ms_batches {string.Join(',', ms.Select(F))}");
        string[] names = ["zero_grad", "forward", "backward", "optim", "dispose"];
        for (var k = 0; k < phase.Length; k++)
            Console.WriteLine($"{pre}_phase_{names[k]}_ms {F(phase[k] * 1000.0 / Stopwatch.Frequency / n)}");
        Console.WriteLine($"{pre}_minflt_per_step {(faults / n).ToString("F1", Inv)}");
        Console.WriteLine($"{pre}_loss_first {firstLoss.ToString("F6", Inv)}");
        Console.WriteLine($"{pre}_loss_last {lastLoss.ToString("F6", Inv)}");
        Console.WriteLine($"{pre}_loss_decreased {(lastLoss < firstLoss ? 1 : 0)}");
        Console.WriteLine($"{pre}_live_stable {(live.Distinct().Count() == 1 ? 1 : 0)}");
        Console.WriteLine($"{pre}_live_counts {string.Join(',', live.Distinct())}");
    }

    /// <summary>Minor page faults of this process so far (field 10 of /proc/self/stat).</summary>
    public static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], Inv);  // fields after "(comm) ": state=3rd field, so minflt (10th) is index 7
    }

    /// <summary>The libtorch_cpu this process has mapped (to check that both legs use the same library).</summary>
    public static string MappedLibtorch()
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var i = line.IndexOf('/', StringComparison.Ordinal);
            if (i >= 0 && line.Contains("libtorch_cpu.so", StringComparison.Ordinal)) return line[i..];
        }
        return "?";
    }
}
