using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Intrinsic;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.LoraSb;
using LowRankTrainer.Adapters.LoraXs;
using LowRankTrainer.Adapters.Lotr;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Adapters.SvFit;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>
/// One battery for every adapter method (PEFT's tests/test_custom_models.py): each row is a scenario —
/// description, base-model factory, method name, options, and the closed-form trainable count — and each
/// test runs every row. A new method adds rows here, nothing else.
/// </summary>
public class AdapterMatrixTests
{
    private static readonly Func<Module<Tensor, Tensor>> Mlp = AdapterTestModels.Mlp;
    private static readonly Func<Module<Tensor, Tensor>> Toy = AdapterTestModels.Toy;
    private static readonly Func<Module<Tensor, Tensor>> ConvNet = AdapterTestModels.ConvNet;

    public static TheoryData<string, Func<Module<Tensor, Tensor>>, string, AdapterOptions, long> Cases => new()
    {
        // Mlp 12-16-16-5; all-linear skips the head layers.4: 4·(12+16) + 4·(16+16) = 240.
        { "lora mlp all-linear r4", Mlp, "lora", new LoraOptions { TargetModules = ["all-linear"], R = 4, Alpha = 8 }, 240 },
        // Named head included, rsLoRA: 2·(12+16) + 2·(16+5) = 98.
        { "lora mlp list with head rslora", Mlp, "lora", new LoraOptions { TargetModules = ["layers.0", "layers.4"], R = 2, Alpha = 4, UseRsLora = true }, 98 },
        // Suffix match over 2 blocks × (q, v) of 8×8: 4 · 3·16 = 192.
        { "lora toy suffix q v r3", Toy, "lora", new LoraOptions { TargetModules = ["q_proj", "v_proj"], R = 3, Alpha = 6, InitSeed = 4 }, 192 },
        // Regex; rank_pattern gives v r=4, alpha_pattern changes q's α: 2 · 2·16 + 2 · 4·16 = 192.
        {
            "lora toy regex rank and alpha patterns", Toy, "lora",
            new LoraOptions
            {
                TargetRegex = @"blocks\.\d+\.(q|v)_proj", R = 2, Alpha = 2,
                RankPattern = new Dictionary<string, int> { ["v_proj"] = 4 }, AlphaPattern = new Dictionary<string, double> { [@"blocks\.1\.q_proj"] = 7 },
            },
            192
        },
        // exclude_modules drops blocks.0.q_proj: 3 · 2·16 = 96.
        { "lora toy exclude", Toy, "lora", new LoraOptions { TargetModules = ["q_proj", "v_proj"], ExcludeModules = ["blocks.0.q_proj"], R = 2 }, 96 },
        // fc1 (8→12) with gaussian A and dropout, head trained in full: 4·(8+12) + 12·3+3 = 119.
        {
            "lora toy gaussian dropout modules_to_save", Toy, "lora",
            new LoraOptions { TargetModules = ["fc1"], R = 4, Init = LoraInit.Gaussian, Dropout = 0.1, ModulesToSave = ["classifier"] }, 119
        },
        // bias all: 2·(16+16) + every bias 16+16+5 = 101.
        { "lora mlp bias all", Mlp, "lora", new LoraOptions { TargetModules = ["layers.2"], R = 2, Bias = AdapterBias.All }, 101 },
        // bias lora_only: 2·28 + 2·32 + the two adapted biases 16+16 = 152.
        { "lora mlp bias lora_only", Mlp, "lora", new LoraOptions { TargetModules = ["layers.0", "layers.2"], R = 2, Bias = AdapterBias.AdapterOnly }, 152 },
        // LoRA-XS trains only R (r×r): all-linear on the Mlp, 2 · 4² = 32.
        { "lora_xs mlp all-linear r4", Mlp, "lora_xs", new LoraXsOptions { TargetModules = ["all-linear"], R = 4 }, 32 },
        // 2 blocks × (q, v), r = 3, α = 6 (s = 2): 4 · 3² = 36.
        { "lora_xs toy suffix q v r3 alpha", Toy, "lora_xs", new LoraXsOptions { TargetModules = ["q_proj", "v_proj"], R = 3, Alpha = 6, InitSeed = 4 }, 36 },
        // rank_pattern gives v r = 5, q keeps r = 2, R = 0 at init: 2 · 2² + 2 · 5² = 58.
        {
            "lora_xs toy rank pattern zero init", Toy, "lora_xs",
            new LoraXsOptions { TargetModules = ["q_proj", "v_proj"], R = 2, InitStd = 0, RankPattern = new Dictionary<string, int> { ["v_proj"] = 5 } }, 58
        },
        // Head named (16→5, r = 5 = min) and bias all: 5² + 5² + every bias 16+16+5 = 87.
        { "lora_xs mlp head full rank bias all", Mlp, "lora_xs", new LoraXsOptions { TargetModules = ["layers.0", "layers.4"], R = 5, Bias = AdapterBias.All }, 87 },
        // SVFit trains r singular values per matrix: 2 · 3 = 6.
        { "svfit mlp all-linear r3", Mlp, "svfit", new SvFitOptions { TargetModules = ["all-linear"], R = 3 }, 6 },
        // r = 20 is capped at min(8, 8) = 8: 4 · 8 = 32.
        { "svfit toy q v r capped", Toy, "svfit", new SvFitOptions { TargetModules = ["q_proj", "v_proj"], R = 20 }, 32 },
        // Threshold 1.0 keeps the whole spectrum of the full-rank random weights: min(12,16) + min(16,16) = 28.
        { "svfit mlp threshold 1 full spectrum", Mlp, "svfit", new SvFitOptions { TargetModules = ["all-linear"], Threshold = 1.0 }, 28 },
        // fc1 (8→12) r = 2 with the head trained in full: 2 + 12·3+3 = 41.
        { "svfit toy modules_to_save", Toy, "svfit", new SvFitOptions { TargetModules = ["fc1"], R = 2, ModulesToSave = ["classifier"] }, 41 },
        // bias lora_only: 2 + 2 + the two adapted biases 16+16 = 36.
        // LoRA-SB: r² per target; the init update comes from a synthetic gradient (WeightSignContext).
        { "lora_sb mlp all-linear r4", Mlp, "lora_sb", new LoraSbOptions { TargetModules = ["all-linear"], R = 4, InitContext = new WeightSignContext(0.05) }, 32 },
        { "lora_sb toy q v r3", Toy, "lora_sb", new LoraSbOptions { TargetModules = ["q_proj", "v_proj"], R = 3, InitContext = new WeightSignContext(0.02) }, 36 },
        { "svfit mlp bias lora_only", Mlp, "svfit", new SvFitOptions { TargetModules = ["layers.0", "layers.2"], R = 2, Bias = AdapterBias.AdapterOnly }, 36 },
        // RandLoRA: r·n + n·m per target, m = min(d_in, d_out), n = ⌈m/r⌉. layers.0 (m 12, n 3): 12 + 36; layers.2 (m 16, n 4): 16 + 64 = 128.
        { "randlora mlp all-linear r4", Mlp, "randlora", new RandLoraOptions { TargetModules = ["all-linear"], R = 4, Alpha = 4 }, 128 },
        // Head 16→5 is the transposed case (m = d_out = 5, n 2): 6 + 10; layers.0 (m 12, n 4): 12 + 48 = 76. Paper scaling, bases regenerated on load.
        {
            "randlora mlp head paper scaling no saved projection", Mlp, "randlora",
            new RandLoraOptions { TargetModules = ["layers.0", "layers.4"], R = 3, Scaling = RandLoraScaling.Paper, SaveProjection = false, ProjectionPrngKey = 5 }, 76
        },
        // Sparse bases, 2 blocks × (q, v) of 8×8 (m 8, n 3): 4 · (9 + 24) = 132.
        { "randlora toy q v sparse r3", Toy, "randlora", new RandLoraOptions { TargetModules = ["q_proj", "v_proj"], R = 3, Alpha = 3, Sparse = true }, 132 },
        // fc1 8→12 (m 8, n 2): 8 + 16, dropout, bias randlora_only +12 = 36.
        { "randlora toy fc1 dropout bias only", Toy, "randlora", new RandLoraOptions { TargetModules = ["fc1"], R = 4, Alpha = 4, Dropout = 0.1, Bias = AdapterBias.AdapterOnly }, 36 },
        // LoTR: per group of L same-shape layers r·(d_in + d_out) + L·r². One group of 4 q/v 8×8 at r 2: 2·16 + 4·4 = 48.
        { "lotr toy q v one group r2", Toy, "lotr", new LotrOptions { TargetModules = ["q_proj", "v_proj"], R = 2, Scale = 2 }, 48 },
        // Two groups of one: layers.0 12→16: 3·28 + 9; layers.2 16→16: 3·32 + 9 = 198.
        { "lotr mlp all-linear r3", Mlp, "lotr", new LotrOptions { TargetModules = ["all-linear"], R = 3, InitSeed = 3 }, 198 },
        // all-linear on the toy: the q/v group 2·16 + 4·4 = 48, fc1 8→12 2·20 + 4 = 44, the head in full 12·3 + 3 = 39: 131.
        {
            "lotr toy all-linear scaled init head saved", Toy, "lotr",
            new LotrOptions { TargetModules = ["all-linear"], R = 2, Init = LotrInit.Scaled, ModulesToSave = ["classifier"] }, 131
        },
        // Intrinsic subspace: exactly d trainable values whatever the projection (D = 565 on the Mlp with the head, 435 on the toy).
        { "intrinsic mlp all fastfood d20", Mlp, "intrinsic", new IntrinsicOptions { D = 20, InitSeed = 3 }, 20 },
        // SAID: 6 tensors (3 weights, 3 biases) get a λ each, θ has 12 − 6 = 6 entries: 12.
        { "intrinsic mlp all dense said d12", Mlp, "intrinsic", new IntrinsicOptions { D = 12, Projection = IntrinsicProjectionKind.Dense, Said = true }, 12 },
        { "intrinsic toy all sparse d9", Toy, "intrinsic", new IntrinsicOptions { D = 9, Projection = IntrinsicProjectionKind.Sparse, ProjectionSeed = 17 }, 9 },
        // q, v of 2 blocks: 8 tensors, SAID with d = 10 keeps θ ∈ ℝ²: 10.
        { "intrinsic toy q v fastfood said d10", Toy, "intrinsic", new IntrinsicOptions { TargetModules = ["q_proj", "v_proj"], D = 10, Said = true }, 10 },
        // A grouped, strided, dilated Conv2d and the head: D = 72 + 6 + 288 + 3 = 369, 4 tensors; SAID with d = 12: 12.
        { "intrinsic convnet all fastfood said d12", ConvNet, "intrinsic", new IntrinsicOptions { D = 12, Said = true, InitSeed = 6 }, 12 },
        // The conv alone (D = 78), its base bias trained too (bias intrinsic_only): 5 + 6 = 11.
        {
            "intrinsic convnet conv only dense bias intrinsic_only d5", ConvNet, "intrinsic",
            new IntrinsicOptions { TargetModules = ["conv"], D = 5, Projection = IntrinsicProjectionKind.Dense, Bias = AdapterBias.AdapterOnly }, 11
        },
        // Test-only method: one θ ∈ ℝ⁶ shared by every layer is counted once: 6.
        { "shared-vector mlp all-linear k6", Mlp, "shared-vector", new SharedVectorOptions { TargetModules = ["all-linear"], Dimension = 6, InitSeed = 2 }, 6 },
        { "shared-vector toy q v k3", Toy, "shared-vector", new SharedVectorOptions { TargetModules = ["q_proj", "v_proj"], Dimension = 3 }, 3 },
    };

    /// <summary>A registered method by name, or one of the test-only methods.</summary>
    private static IAdapterMethod Method(string name) => name == SharedVectorTestMethod.Instance.Name ? SharedVectorTestMethod.Instance : AdapterRegistry.Get(name);

    private static (Module<Tensor, Tensor> Model, AdapterModel Adapted) Build(Func<Module<Tensor, Tensor>> factory, string method, AdapterOptions options)
    {
        var model = factory();
        return (model, AdapterModel.Inject(model, Method(method), options));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Inject_AtInit_OutputEqualsBase(string description, Func<Module<Tensor, Tensor>> factory, string method, AdapterOptions options, long trainable)
    {
        _ = (description, trainable);
        using var model = factory();
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model);
        model.Eval();
        var before = model.Forward(x);
        var adapted = AdapterModel.Inject(model, Method(method), options);
        Assert.Equal(method, adapted.Method.Name);
        // LoRA-XS draws R ~ N(0, 1e-5²), so ΔW(0) is tiny but not zero; LoRA-SB starts at base + trunc_SVD_r(−η·sign(G));
        // every other method starts at ΔW = 0 exactly.
        var tolerance = options is LoraXsOptions { InitStd: > 0 } ? 1e-3 : options is LoraSbOptions ? 1e-5 : 0;
        if (options is LoraSbOptions sb) before = LoraSbExpectedInit(factory, adapted, sb, x);
        model.Train();  // dropout on the branch must not touch the base path: with ΔW = 0 the output stays the base's
        Assert.True(MaxAbsDiff(before, model.Forward(x)) <= tolerance);
        model.Eval();
        Assert.True(MaxAbsDiff(before, model.Forward(x)) <= tolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Summary_TrainableCount_MatchesClosedForm(string description, Func<Module<Tensor, Tensor>> factory, string method, AdapterOptions options, long trainable)
    {
        _ = description;
        var (model, adapted) = Build(factory, method, options);
        using var _m = model;
        long baseTotal;
        using (var plain = factory()) baseTotal = ParameterSummary.Of(plain).Total;
        var summary = adapted.Summary();
        Assert.Equal(trainable, summary.Trainable);
        Assert.Equal(trainable, adapted.TrainableParameters().Sum(p => p.Value.NumEl));
        // Frozen adapter tensors (LoRA-XS's A and B, SVFit's U, Vᵀ, σ⁰) are buffers: saved, but not parameters.
        var adapterOwn = adapted.Layers.SelectMany(l => l.Layer.AdapterTensors()).Select(t => t.Slot).OfType<Parameter>().Distinct().Sum(s => s.Value.NumEl);
        Assert.Equal(baseTotal + adapterOwn, summary.Total);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_OnlyIntendedParametersGetGradients(string description, Func<Module<Tensor, Tensor>> factory, string method, AdapterOptions options, long trainable)
    {
        _ = (description, trainable);
        var (model, adapted) = Build(factory, method, options);
        using var _m = model;
        Perturb(adapted);
        using var scope = new DisposeScope();
        model.Forward(AdapterTestModels.Input(model)).Square().Sum().Backward();
        var adapterSlots = adapted.Layers.SelectMany(l => l.Layer.AdapterTensors()).Select(t => t.Slot).ToHashSet();
        foreach (var (name, p) in model.NamedParameters())
        {
            var intended = adapterSlots.Contains(p)
                           || options.ModulesToSave.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal))
                           || (options.Bias == AdapterBias.All && name.EndsWith("bias", StringComparison.Ordinal))
                           || (options.Bias == AdapterBias.AdapterOnly && adapted.Layers.Any(l => ReferenceEquals(l.Layer.BaseBias, p)));
            Assert.True(intended == p.RequiresGrad, $"{name}: requires_grad {p.RequiresGrad}, intended {intended}");
            Assert.True(intended == (p.Value.Grad is not null), $"{name}: grad {(p.Value.Grad is null ? "absent" : "present")}, intended {intended}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Merge_ForwardMatchesUnmergedWithin1e5_UnmergeRestoresWeights(string description, Func<Module<Tensor, Tensor>> factory, string method, AdapterOptions options, long trainable)
    {
        _ = (description, trainable);
        var (model, adapted) = Build(factory, method, options);
        using var _m = model;
        Perturb(adapted);
        model.Eval();
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model);
        var unmerged = model.Forward(x).Detach();
        var weights = adapted.Layers.Select(l => l.Layer.BaseWeight.Value.Detach().Clone()).ToList();
        adapted.Merge();
        Assert.All(adapted.Layers, l => Assert.True(l.Layer.Merged));
        Assert.True(MaxAbsDiff(unmerged, model.Forward(x)) <= 1e-5, $"{description}: merged differs by {MaxAbsDiff(unmerged, model.Forward(x))}");
        adapted.Unmerge();
        Assert.True(MaxAbsDiff(unmerged, model.Forward(x)) <= 1e-5);
        for (var i = 0; i < weights.Count; i++) Assert.True(MaxAbsDiff(weights[i], adapted.Layers[i].Layer.BaseWeight.Value) <= 1e-6);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SaveLoad_IntoFreshBase_ReproducesOutputsExactly(string description, Func<Module<Tensor, Tensor>> factory, string method, AdapterOptions options, long trainable)
    {
        _ = (description, method, trainable);
        var (model, adapted) = Build(factory, method, options);
        using var _m = model;
        Perturb(adapted, everything: true);
        model.Eval();
        var folder = TempFolder();
        try
        {
            AdapterCheckpoint.Save(adapted, folder);
            using var fresh = factory();
            var loaded = AdapterCheckpoint.Load(fresh, folder, Method(method));
            fresh.Eval();
            // What was saved (the options as injection resolved them, e.g. SVFit's chosen ranks) is what loads back.
            Assert.Equal(PeftConfigJson.Write(adapted.Method, adapted.Options).ToJsonString(), PeftConfigJson.Write(loaded.Method, loaded.Options).ToJsonString());
            Assert.Equal(adapted.Summary().Trainable, loaded.Summary().Trainable);
            using var scope = new DisposeScope();
            var x = AdapterTestModels.Input(model);
            Assert.True(model.Forward(x).ValueEquals(fresh.Forward(x)), description);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Disable_RestoresBase_EvenWhenMerged(string description, Func<Module<Tensor, Tensor>> factory, string method, AdapterOptions options, long trainable)
    {
        _ = (description, trainable);
        using var reference = factory();
        var (model, adapted) = Build(factory, method, options);
        using var _m = model;
        Perturb(adapted);
        model.Eval();
        reference.Eval();
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model);
        var baseline = reference.Forward(x);
        Assert.True(MaxAbsDiff(baseline, model.Forward(x)) > 1e-4, "the perturbed adapter should change the output");
        adapted.Disable();
        Assert.Equal(0, MaxAbsDiff(baseline, model.Forward(x)));
        adapted.Enable();
        adapted.Merge();
        adapted.Disable();
        Assert.True(MaxAbsDiff(baseline, model.Forward(x)) <= 1e-6);
    }

    /// <summary>The documented LoRA-SB init, recomputed independently: a fresh base with W ← W + trunc_SVD_r(−η·sign(G)) for every target.</summary>
    private static Tensor LoraSbExpectedInit(Func<Module<Tensor, Tensor>> factory, AdapterModel adapted, LoraSbOptions options, Tensor x)
    {
        var reference = factory();
        reference.Eval();
        var weights = reference.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        using (Autograd.NoGrad())
        {
            foreach (var (name, _) in adapted.Layers)
            {
                var w = weights[name + ".weight"].Value;
                var g = WeightSignContext.Gradient(w);
                var delta = g.To(DType.Float64).Sign() * -options.InitContext!.FirstStepLr;
                var (u, sv, vh) = Linalg.Svd(delta);
                var r = options.R;
                var trunc = u.Narrow(1, 0, r).Mm(vh.Narrow(0, 0, r) * sv.Narrow(0, 0, r).Unsqueeze(1));
                w.Add_(trunc.To(w.DType));
            }
        }
        return reference.Forward(x);
    }
}

/// <summary>A synthetic LoRA-SB gradient: G = W₀ − 0.01 for each target (deterministic, mixed signs), with η = <paramref name="lr"/>.</summary>
internal sealed class WeightSignContext(double lr) : IAdapterInitContext
{
    public double FirstStepLr => lr;

    public static Tensor Gradient(Tensor weight) => weight.Detach() - 0.01;

    public Tensor GradientSum(AdapterTarget target) => Gradient(target.Layer.Weight.Value);
}
