// RandLoRA vs LoRA at (about) equal trainable parameters on a synthetic full-rank target (METHODS.md §9 item 4(i)).
//
// A frozen d×d Linear W₀ (bias-free, nn.Linear's init) is fitted by MSE to y = (W₀ + ΔW*)x with AdamW (lr 1e-2, no weight
// decay), full batch over the d standard basis vectors x = e_i (so the MSE is ‖ΔW − ΔW*‖²_F / d², perfectly conditioned;
// a Gaussian batch of 4d inputs gives the same ordering at twice the cost). Two targets, both with ‖ΔW*‖²_F = d:
//   gaussian:   ΔW* = G/√d, G i.i.d. N(0, 1) (a Marchenko–Pastur spectrum: a few large singular values, a long tail);
//   orthogonal: ΔW* = Q from the QR of a Gaussian matrix (a flat spectrum: every singular value 1).
// For each RandLoRA base rank r' (n = ⌈d/r'⌉ bases, r'·n + n·d parameters) LoRA runs at the largest rank k with no more
// parameters (2dk ≤ budget) and at k + 1 (just more). Scales are 1 for both (randlora_alpha = r', lora_alpha = k).
// Reported: relative error ‖ΔW − ΔW*‖²_F / ‖ΔW*‖²_F after training, LoRA's Eckart–Young floor Σ_{i>k} σ_i² / Σ σ_i²
// (the best any rank-k update can do), and the numerical rank of ΔW (singular values above 1e-5·σ_max), mean ± std
// over the seeds (each seed draws W₀, ΔW* and RandLoRA's projection_prng_key).
//
//   dotnet run -c Release --project experiments/randlora_full_rank -- [d] [steps] [seeds] [base ranks, comma-separated]
using System.Diagnostics;
using System.Globalization;
using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim;

var inv = CultureInfo.InvariantCulture;
var d = args.Length > 0 ? int.Parse(args[0], inv) : 256;
var steps = args.Length > 1 ? int.Parse(args[1], inv) : 1500;
var seeds = args.Length > 2 ? int.Parse(args[2], inv) : 3;
var baseRanks = args.Length > 3 ? args[3].Split(',').Select(s => int.Parse(s, inv)).ToArray() : [32, 16];

Console.WriteLine($"d = {d}, {steps} full-batch AdamW steps (lr 1e-2) over the {d} basis inputs, {seeds} seeds");
Console.WriteLine();
Console.WriteLine("| target | method | trainable | relative error (mean ± std) | LoRA floor | numerical rank of ΔW |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
var clock = Stopwatch.StartNew();
foreach (var kind in new[] { "gaussian", "orthogonal" })
{
    foreach (var rb in baseRanks)
    {
        var n = (d + rb - 1) / rb;
        var budget = (long)rb * n + ((long)n * d);
        var k = (int)(budget / (2L * d));
        var methods = new List<(string Name, Func<ulong, AdapterOptions> Options, int LoraRank)>
        {
            ($"RandLoRA r'={rb} (n={n})", s => new RandLoraOptions { TargetModules = ["0"], R = rb, Alpha = rb, ProjectionPrngKey = s }, 0),
        };
        foreach (var kk in new[] { k, k + 1 }.Where(kk => kk >= 1))
        {
            methods.Add(($"LoRA r={kk}", _ => new LoraOptions { TargetModules = ["0"], R = kk, Alpha = kk }, kk));
        }
        foreach (var (name, options, loraRank) in methods)
        {
            var runs = Enumerable.Range(0, seeds).Select(s => Run(d, kind, options((ulong)s + 1), (ulong)s + 1, steps, loraRank)).ToList();
            var errors = runs.Select(r => r.Error).ToArray();
            var floors = loraRank > 0 ? $"{runs.Average(r => r.Floor):F4}" : "—";
            Console.WriteLine($"| {kind} | {name} | {runs[0].Trainable:N0} | {Stats(errors)} | {floors} | {Stats(runs.Select(r => (double)r.Rank).ToArray(), "F0")} |");
        }
    }
}
Console.WriteLine();
Console.WriteLine($"total {clock.Elapsed.TotalSeconds:F0} s");
return;

static string Stats(double[] v, string format = "F4")
{
    var mean = v.Average();
    var std = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
    return mean.ToString(format, CultureInfo.InvariantCulture) + " ± " + std.ToString(format, CultureInfo.InvariantCulture);
}

static (double Error, double Floor, int Rank, long Trainable) Run(int d, string kind, AdapterOptions options, ulong seed, int steps, int loraRank)
{
    using var g = new Generator(seed);
    using var model = new Sequential(new Linear(d, d, bias: false, generator: g));
    using var data = new DisposeScope();
    var raw = Tensor.Randn([d, d], g);
    var target = kind == "gaussian" ? raw / Math.Sqrt(d) : Linalg.Qr(raw).Q;
    var x = Tensor.Eye(d);
    Tensor y;
    using (Autograd.NoGrad()) y = x.MatMul((((Linear)model.GetSubmodule("0")).Weight.Value + target).MT);
    var adapted = AdapterModel.Inject(model, options);
    using var optimizer = new AdamW(adapted.TrainableParameters().Select(p => p.Value).ToList(), lr: 1e-2, weightDecay: 0);
    for (var step = 0; step < steps; step++)
    {
        using var scope = new DisposeScope();
        Functional.Mse(model.Forward(x), y).Backward();
        optimizer.Step();
        optimizer.ZeroGrad();
    }
    using var noGrad = Autograd.NoGrad();
    var t = target.To(DType.Float64);
    var delta = adapted.Layers[0].Layer.DeltaWeight().To(DType.Float64);
    var total = t.Square().Sum().ToDouble();
    var error = (delta - t).Square().Sum().ToDouble() / total;
    var sigmaT = Linalg.Svd(t).S.ToArray<double>();
    var floor = sigmaT.Skip(loraRank).Sum(s => s * s) / total;
    var sigma = Linalg.Svd(delta).S.ToArray<double>();
    return (error, floor, sigma.Count(s => s > 1e-5 * sigma[0]), adapted.Summary().Trainable);
}
