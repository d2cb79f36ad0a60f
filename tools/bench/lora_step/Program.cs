// LoRA step on a frozen base vs the base's own forward + backward-to-inputs (tools/bench/lora_step.sh
// runs it; see BENCHMARKS.md, "LoRA step on a frozen base"). The base is an MLP 1024-1024-1024-1024-10
// (Sequential(Linear, ReLU, Linear, ReLU, Linear, ReLU, Linear); 3,159,050 parameters), float32, trained
// with cross-entropy on one fixed random batch [B, 1024] with int64 labels in [0, 10). Variants, each on its
// own model built from the same seed, measured alternately in this one process:
//   base_fb      (a) the base, every parameter frozen, the INPUT requires grad: forward, loss, backward
//                    (input and activation gradients only, no weight gradient), no optimizer.
//   lora8/lora16 (b) LoRA r=8 / r=16 (alpha = r) on all four Linear layers (target_modules all-linear; a
//                    Sequential has no head to leave out), base frozen by AdapterModel.Inject: forward,
//                    loss, backward (LoRA gradients, activation gradients through the frozen base),
//                    AdamW step on the LoRA parameters, zero_grad(set_to_none).
//   lora8_xgrad  diag: (b) at r=8 with the input requiring grad too, so its backward does every matmul
//                    that (a) does plus the LoRA work (in (b) the first layer's input gradient is skipped).
//   full         (c) reference: full fine-tuning of the base, AdamW on every parameter.
// AdamW: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01 (foreach ops; "fused" as the 3rd arg).
// Each step's temporaries live in a DisposeScope disposed at the end of the step. Per batch size: 2 warm-up
// batches, then BATCHES timed batches; in each batch every variant runs STEPS steps, the variants in an
// order rotated by one from batch to batch. A variant's figure is the median ms/step over its timed
// batches; each phase (zero_grad, forward + loss, backward, optimizer, scope disposal) is also timed.
// Checks after the run: LoRA parameters changed, base parameters bit-identical and without .grad, the
// input of (a) got a gradient, the loss of the trained variants decreased, Tensor.LiveCount stable.
// Usage: LoraStep [batches] [batch_sizes] [foreach|fused]   (defaults 9, "64,256", foreach)
// Output: "name value" lines; "<name>_ms_batches v,v,..." holds the per-batch ms/step.
using System.Diagnostics;
using System.Globalization;
using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim;

var inv = CultureInfo.InvariantCulture;
var batches = args.Length > 0 ? int.Parse(args[0], inv) : 11;
var sizes = (args.Length > 1 ? args[1] : "64,256").Split(',').Select(s => int.Parse(s, inv)).ToArray();
var fused = (args.Length > 2 ? args[2] : "foreach") switch
{
    "foreach" => false,
    "fused" => true,
    var o => throw new ArgumentException($"optimizer must be foreach or fused, got '{o}'"),
};

TorchRuntime.NumThreads = 1;
Console.WriteLine($"cs_torch_version {TorchRuntime.GetBuildInfo().TorchVersion}");
Console.WriteLine($"cs_libtorch {Bench.MappedLibtorch()}");
Console.WriteLine($"cs_threads {TorchRuntime.NumThreads}");
Console.WriteLine($"cs_runtime {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
Console.WriteLine($"cs_adamw_fused {(fused ? 1 : 0)}");
foreach (var b in sizes) Bench.Run(b, batches, fused);

internal sealed class Variant : IDisposable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly List<(string Name, Tensor Value, Tensor Snapshot, bool Trained)> _params = [];

    public Variant(string name, int b, int loraRank, bool inputGrad, bool full, bool fused)
    {
        Name = name;
        TorchRuntime.ManualSeed(0);  // the same base weights in every variant
        Model = Bench.BaseModel();
        if (loraRank > 0)
        {
            Adapter = AdapterModel.Inject(Model, new LoraOptions { R = loraRank, Alpha = loraRank, TargetModules = [TargetSelector.AllLinear] });
        }
        else if (!full)
        {
            Model.Freeze();
        }
        var trainable = Model.TrainableParameters();
        Trainable = trainable.Sum(t => t.NumEl);
        if (trainable.Count > 0) Optimizer = new AdamW(trainable, lr: 1e-3, weightDecay: 0.01, fused: fused);
        X = Tensor.Randn([b, 1024], generator: null);
        if (inputGrad) X.RequiresGrad = true;
        var labels = new long[b];
        for (var i = 0; i < b; i++) labels[i] = (i * 7 + 3) % 10;
        Y = Tensor.From<long>(labels, [b]);
        using (Autograd.NoGrad())
        {
            foreach (var (pn, p) in Model.NamedParameters()) _params.Add((pn, p.Value, p.Value.Clone(), p.RequiresGrad));
        }
    }

    public string Name { get; }
    public Module<Tensor, Tensor> Model { get; }
    public AdapterModel? Adapter { get; }
    public AdamW? Optimizer { get; }
    public Tensor X { get; }
    public Tensor Y { get; }
    public long Trainable { get; }
    public List<double> Ms { get; } = [];
    public long[] Phase { get; } = new long[5];  // zero_grad, forward+loss, backward, optim, dispose
    public long TimedSteps { get; set; }
    public double FirstLoss { get; set; } = double.NaN;
    public double LastLoss { get; set; } = double.NaN;

    /// <summary>One step; adds its phase times when <paramref name="timed"/>; returns the loss when asked.</summary>
    public double Step(bool timed, bool wantLoss)
    {
        var loss = double.NaN;
        var a = Stopwatch.GetTimestamp();
        long c1, c2, c3, c4;
        using (new DisposeScope())
        {
            if (Optimizer is not null) Optimizer.ZeroGrad(setToNone: true);
            if (X.RequiresGrad) Autograd.ZeroGrad([X], setToNone: true);
            c1 = Stopwatch.GetTimestamp();
            var l = Functional.CrossEntropy(Model.Forward(X), Y);
            c2 = Stopwatch.GetTimestamp();
            l.Backward();
            c3 = Stopwatch.GetTimestamp();
            Optimizer?.Step();
            c4 = Stopwatch.GetTimestamp();
            if (wantLoss) loss = l.ToDouble();
        }
        var c5 = Stopwatch.GetTimestamp();
        if (timed)
        {
            Phase[0] += c1 - a; Phase[1] += c2 - c1; Phase[2] += c3 - c2; Phase[3] += c4 - c3; Phase[4] += c5 - c4;
            TimedSteps++;
        }
        return loss;
    }

    /// <summary>Writes the figures and the checks.</summary>
    public void Report(string pre)
    {
        string F(double v) => v.ToString("F4", Inv);
        var ms = Ms.OrderBy(v => v).ToList();
        var median = ms.Count % 2 == 1 ? ms[ms.Count / 2] : (ms[ms.Count / 2 - 1] + ms[ms.Count / 2]) / 2;
        Console.WriteLine($"{pre}_ms {F(median)}");
        Console.WriteLine($"{pre}_ms_batches {string.Join(',', Ms.Select(F))}");
        string[] names = ["zero_grad", "forward", "backward", "optim", "dispose"];
        for (var k = 0; k < Phase.Length; k++)
            Console.WriteLine($"{pre}_phase_{names[k]}_ms {F(Phase[k] * 1000.0 / Stopwatch.Frequency / TimedSteps)}");
        Console.WriteLine($"{pre}_trainable {Trainable}");
        // Parameters that train must have moved, frozen ones must be bit-identical and hold no gradient.
        bool trainedMoved = true, frozenSame = true, frozenNoGrad = true;
        double maxFrozenDiff = 0;
        var moved = 0;
        using (new DisposeScope())
        using (Autograd.NoGrad())
        {
            foreach (var (_, v, snap, trained) in _params)
            {
                var diff = (v - snap).Abs().Max().ToDouble();
                if (trained)
                {
                    if (diff > 0) moved++; else trainedMoved = false;
                }
                else
                {
                    maxFrozenDiff = Math.Max(maxFrozenDiff, diff);
                    if (diff != 0) frozenSame = false;
                    if (v.Grad is not null) frozenNoGrad = false;
                }
            }
        }
        var frozen = _params.Count(p => !p.Trained);
        Console.WriteLine($"{pre}_check_trained_moved {(trainedMoved ? 1 : 0)}");
        Console.WriteLine($"{pre}_info_trained_tensors {moved}/{_params.Count(p => p.Trained)}");
        Console.WriteLine($"{pre}_check_frozen_unchanged {(frozenSame ? 1 : 0)}");
        Console.WriteLine($"{pre}_check_frozen_no_grad {(frozenNoGrad ? 1 : 0)}");
        Console.WriteLine($"{pre}_info_frozen_tensors {frozen} max|Δ| {maxFrozenDiff.ToString("G3", Inv)}");
        if (X.RequiresGrad) Console.WriteLine($"{pre}_check_input_grad {(X.Grad is not null ? 1 : 0)}");
        if (Optimizer is not null) Console.WriteLine($"{pre}_check_loss_decreased {(LastLoss < FirstLoss ? 1 : 0)}");
        Console.WriteLine($"{pre}_info_loss {FirstLoss.ToString("F6", Inv)} -> {LastLoss.ToString("F6", Inv)}");
    }

    public void Dispose()
    {
        Optimizer?.Dispose();
        Model.Dispose();
        X.Dispose();
        Y.Dispose();
        foreach (var p in _params) p.Snapshot.Dispose();
    }
}

internal static class Bench
{
    /// <summary>MLP 1024-1024-1024-1024-10.</summary>
    public static Sequential BaseModel() =>
        new(new Linear(1024, 1024), new ReLU(), new Linear(1024, 1024), new ReLU(), new Linear(1024, 1024), new ReLU(), new Linear(1024, 10));

    /// <summary>Steps per variant per timed batch: about 0.05–0.2 s of work on one core.</summary>
    public static int StepsPerBatch(int b) => b <= 64 ? 6 : b <= 256 ? 2 : 1;

    public static void Run(int b, int batches, bool fused)
    {
        var variants = new List<Variant>
        {
            new("base_fb", b, 0, inputGrad: true, full: false, fused),
            new("lora8", b, 8, inputGrad: false, full: false, fused),
            new("lora16", b, 16, inputGrad: false, full: false, fused),
            new("lora8_xgrad", b, 8, inputGrad: true, full: false, fused),
            new("full", b, 0, inputGrad: false, full: true, fused),
        };
        var steps = StepsPerBatch(b);
        const int warmup = 2;
        var live = new List<long>();
        for (var batch = 0; batch < warmup + batches; batch++)
        {
            var timed = batch >= warmup;
            for (var k = 0; k < variants.Count; k++)
            {
                var v = variants[(k + batch) % variants.Count];
                var t0 = Stopwatch.GetTimestamp();
                for (var s = 0; s < steps; s++)
                {
                    var first = batch == 0 && s == 0;
                    var last = batch == warmup + batches - 1 && s == steps - 1;
                    var loss = v.Step(timed, first || last);
                    if (first) v.FirstLoss = loss;
                    if (last) v.LastLoss = loss;
                }
                var t1 = Stopwatch.GetTimestamp();
                if (timed) v.Ms.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds / steps);
            }
            if (timed) live.Add(Tensor.LiveCount);
        }
        Console.WriteLine($"b{b}_steps_per_batch {steps}");
        Console.WriteLine($"b{b}_live_stable {(live.Distinct().Count() == 1 ? 1 : 0)}");
        foreach (var v in variants)
        {
            v.Report($"b{b}_{v.Name}");
            v.Dispose();
        }
    }

    /// <summary>The libtorch_cpu this process has mapped.</summary>
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
