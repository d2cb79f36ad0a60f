using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Interop;

/// <summary>
/// One temporary folder per test class holding the base model: a tiny GPT2LMHeadModel that transformers builds from a
/// <c>GPT2Config</c> and saves with <c>save_pretrained</c> (<c>peft_interop.py make-base</c>), plus <c>inputs.safetensors</c>
/// (input_ids [2, 12] and transformers' logits for them). Made on first use; deleted with the class.
/// </summary>
public sealed class PeftInteropFixture : IDisposable
{
    private readonly Lazy<PeftPython.Result> _base;

    public PeftInteropFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "lrt-peft-interop-" + Guid.NewGuid().ToString("N"));
        _base = new(() =>
        {
            Directory.CreateDirectory(Root);
            return PeftPython.RunScript("make-base", BaseDir, InputsFile, "--seed", "0");
        });
    }

    /// <summary>The temporary folder.</summary>
    public string Root { get; }

    /// <summary>The transformers checkpoint folder.</summary>
    public string BaseDir => Path.Combine(Root, "base");

    /// <summary>input_ids and transformers' base logits.</summary>
    public string InputsFile => Path.Combine(Root, "inputs.safetensors");

    /// <summary>Builds the base (once) and returns what make-base printed.</summary>
    public PeftPython.Result EnsureBase() => _base.Value;

    /// <summary>A new empty folder under <see cref="Root"/>.</summary>
    public string NewFolder(string name)
    {
        var dir = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}

/// <summary>
/// Issue #9's PEFT interoperability, against PEFT itself (tools/interop/peft_interop.py; skipped with the reason where
/// python3 lacks torch, transformers, peft or safetensors): a LoRA and a RandLoRA adapter that lrt saves — injected the
/// way <c>lrt train</c> injects (<see cref="Trainer.InjectAdapter"/>) and written by the code that writes its
/// <c>final/</c> (<see cref="AdapterCheckpoint.Save"/>) — load with <c>PeftModel.from_pretrained</c> and give lrt's
/// logits within 1e-4 (fp32); a LoRA and a RandLoRA adapter that PEFT saves (<c>get_peft_model</c> +
/// <c>save_pretrained</c>) load with <see cref="AdapterCheckpoint.Load"/> (PEFT's <c>from_pretrained</c> here) and give
/// PEFT's logits within 1e-4. The base is a GPT-2 that transformers built and saved, loaded here through
/// <see cref="PretrainedTransformer.Load"/> (what <c>model.pretrained</c> does); every test first checks that lrt's base
/// logits match transformers', so a failure says which side differs. Adapter tensors are random (B ≠ 0, λ ≠ 0: PEFT's
/// <c>init_lora_weights=False</c> / <c>init_weights=False</c>), and each test checks the adapter moves the logits.
/// </summary>
public sealed class PeftInteropTests(PeftInteropFixture fixture, ITestOutputHelper output) : IClassFixture<PeftInteropFixture>, IDisposable
{
    private const double Tolerance = 1e-4;
    private const double MinimumEffect = 1e-2;
    private static readonly string[] Targets = ["c_attn", "c_proj", "c_fc"];   // 2 blocks × (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj)
    private readonly Generator _generator = new(0);   // the loaded model's dropout layers keep it (all p = 0, eval mode)

    public void Dispose() => _generator.Dispose();

    [PeftInteropFact]
    public void LrtLora_LoadsInPeft_SameLogits()
    {
        using var model = LoadBase();
        var adapted = Trainer.InjectAdapter(model, new LoraOptions { TargetModules = Targets, R = 4, Alpha = 8, InitSeed = 1 });
        Assert.Equal(8, adapted.Layers.Count);
        Randomize(adapted, (name, t, g) => name == "lora_B.weight" ? Tensor.Randn(t.Shape, g) * 0.3 : null);
        var folder = fixture.NewFolder("lrt-lora");
        AdapterCheckpoint.Save(adapted, folder);
        output.WriteLine(File.ReadAllText(Path.Combine(folder, AdapterCheckpoint.ConfigFile)));
        CompareWithPeftLoading(model, folder, "lrt's LoRA in PEFT");
    }

    [PeftInteropFact]
    public void LrtRandLora_LoadsInPeft_SameLogits()
    {
        using var model = LoadBase();
        var adapted = Trainer.InjectAdapter(model, new RandLoraOptions { TargetModules = Targets, R = 8, Alpha = 16, SaveProjection = true, ProjectionPrngKey = 3 });
        Assert.Equal(8, adapted.Layers.Count);
        Assert.Contains(adapted.Layers, l => ((RandLoraLinear)l.Layer).Transposed);     // mlp.c_proj 128→32: m = d_out
        Assert.Contains(adapted.Layers, l => !((RandLoraLinear)l.Layer).Transposed);
        // λ ~ N(0, 1) (PEFT's init_weights=False) and γ = γ₀·(1 + 0.5·N(0, 1)).
        Randomize(adapted, (name, t, g) => name switch
        {
            "randlora_lambda" => Tensor.Randn(t.Shape, g),
            "randlora_gamma" => t * (Tensor.Randn(t.Shape, g) * 0.5 + 1),
            _ => null,
        });
        var folder = fixture.NewFolder("lrt-randlora");
        AdapterCheckpoint.Save(adapted, folder);
        output.WriteLine(File.ReadAllText(Path.Combine(folder, AdapterCheckpoint.ConfigFile)));
        CompareWithPeftLoading(model, folder, "lrt's RandLoRA in PEFT");
    }

    [PeftInteropFact]
    public void PeftLora_LoadsInLrt_SameLogits()
    {
        var adapted = CompareWithPeftSaving("lora", out var model);
        using (model)
        {
            Assert.Equal(8, adapted.Layers.Count);
            Assert.All(adapted.Layers, l => Assert.IsType<LoraLinear>(l.Layer));
        }
    }

    [PeftInteropFact]
    public void PeftRandLora_LoadsInLrt_SameLogits()
    {
        var adapted = CompareWithPeftSaving("randlora", out var model);
        using (model)
        {
            Assert.Equal(8, adapted.Layers.Count);
            Assert.All(adapted.Layers, l => Assert.IsType<RandLoraLinear>(l.Layer));
        }
    }

    // The base through model.pretrained's loader, checked against transformers' own logits for the same ids.
    private TransformerModel LoadBase()
    {
        output.WriteLine(PeftPython.Versions);
        output.WriteLine(fixture.EnsureBase().Describe());
        var (model, report) = PretrainedTransformer.Load(fixture.BaseDir, task: null, labels: null, _generator);
        try
        {
            Assert.Empty(report.NewKeys);
            Assert.Equal("GPT2LMHeadModel", model.Architecture);
            using var scope = new DisposeScope();
            var inputs = SafetensorsFile.ReadAll(fixture.InputsFile);
            var diff = MaxAbsDiff(Logits(model, inputs["input_ids"]), inputs["logits"]);
            output.WriteLine($"base: max |lrt − transformers| = {diff:E3}");
            Assert.True(diff <= Tolerance, $"lrt's GPT-2 differs from transformers' before any adapter: max |Δlogits| = {diff:E3} > {Tolerance:E0} " +
                                           $"(base {fixture.BaseDir}; the adapter comparisons would be meaningless)");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void CompareWithPeftLoading(TransformerModel model, string adapterFolder, string what)
    {
        var outFile = adapterFolder + ".peft-logits.safetensors";
        var run = PeftPython.RunScript("load-adapter", fixture.BaseDir, adapterFolder, fixture.InputsFile, outFile, "--device", PeftPython.Device);
        output.WriteLine(run.Describe());
        using var scope = new DisposeScope();
        var inputs = SafetensorsFile.ReadAll(fixture.InputsFile);
        var peft = SafetensorsFile.ReadAll(outFile);
        var lrt = Logits(model, inputs["input_ids"]);
        AssertSame(what, lrt, peft["logits"], inputs["logits"], run);
        // Every tensor of the file is what PEFT holds after loading (peft_interop.py reports each one that is not).
        Assert.DoesNotContain("peft_interop: ", run.Stderr, StringComparison.Ordinal);
    }

    private AdapterModel CompareWithPeftSaving(string method, out TransformerModel model)
    {
        // The script reads the base and its inputs: build them first even when this test is the class's first.
        output.WriteLine(fixture.EnsureBase().Describe());
        var folder = fixture.NewFolder("peft-" + method);
        var logitsFile = folder + ".logits.safetensors";
        var run = PeftPython.RunScript("save-adapter", method, fixture.BaseDir, fixture.InputsFile, folder, logitsFile, "--seed", "1", "--device", PeftPython.Device);
        output.WriteLine(run.Describe());
        output.WriteLine(File.ReadAllText(Path.Combine(folder, AdapterCheckpoint.ConfigFile)));
        using (var file = SafetensorsFile.Open(Path.Combine(folder, AdapterCheckpoint.WeightsFile)))
        {
            foreach (var t in file.Tensors) output.WriteLine($"  {t.Name} {t.DTypeCode} [{string.Join(", ", t.Shape)}]");
        }
        model = LoadBase();
        try
        {
            var adapted = AdapterCheckpoint.Load(model, folder);
            using var scope = new DisposeScope();
            var inputs = SafetensorsFile.ReadAll(fixture.InputsFile);
            var peft = SafetensorsFile.ReadAll(logitsFile);
            AssertSame($"PEFT's {method} in lrt", Logits(model, inputs["input_ids"]), peft["logits"], inputs["logits"], run);
            return adapted;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void AssertSame(string what, Tensor lrt, Tensor peft, Tensor baseLogits, PeftPython.Result run)
    {
        Assert.Equal(peft.Shape, lrt.Shape);
        var diff = MaxAbsDiff(lrt, peft);
        var effect = MaxAbsDiff(peft, baseLogits);
        output.WriteLine($"{what}: max |lrt − PEFT| = {diff:E3}; the adapter moves PEFT's logits by up to {effect:E3}");
        Assert.True(diff <= Tolerance, $"{what}: max |lrt − PEFT| = {diff:E3} > {Tolerance:E0} (the adapter moves the logits by {effect:E3}); Python said:\n{run.Describe()}");
        Assert.True(effect >= MinimumEffect, $"{what}: the adapter moves the logits by only {effect:E3}; the comparison would not test it");
    }

    private static Tensor Logits(TransformerModel model, Tensor ids)
    {
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        return model.Forward(ids);
    }

    // Replaces adapter tensors (by their PEFT-relative name) with what `draw` returns (null: keep), from one seeded generator.
    private static void Randomize(AdapterModel adapted, Func<string, Tensor, Generator, Tensor?> draw)
    {
        using var g = new Generator(7);
        using var noGrad = Autograd.NoGrad();
        using var scope = new DisposeScope();
        foreach (var (_, layer) in adapted.Layers)
        {
            foreach (var (name, slot) in layer.AdapterTensors())
            {
                if (draw(name, slot.Value, g) is { } value) slot.Value.Copy_(value);
            }
        }
    }

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = new DisposeScope();
        return (a - b).Abs().Max().ToDouble();
    }
}
