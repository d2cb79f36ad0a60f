using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models;
using LowRankTrainer.Tests.Checkpoints;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Xunit.Abstractions;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>
/// LoRA against PyTorch itself: tests/fixtures/adapters/lora_*/ were written by
/// tools/fixtures/make_lora_fixture.py with Debian's python3-torch (a hand-written reference forward,
/// no PEFT code, safetensors encoded by hand). Each folder is a PEFT-layout adapter for Mlp(6, [8], 3):
/// we load it through <see cref="AdapterCheckpoint.Load"/>, run forward, cross-entropy and backward in
/// fp32, and compare logits, loss and every gradient with PyTorch's, max |Δ| ≤ 1e-6.
/// </summary>
public class LoraReferenceTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    private static string Folder(string name) => Path.Combine(SafetensorsTestFiles.RepositoryRoot(), "tests", "fixtures", "adapters", name);

    private static Mlp BaseModel(string folder)
    {
        using var g = new Generator(1);
        var model = new Mlp(6, [8], 3, 0, g);
        var weights = SafetensorsFile.ReadAll(Path.Combine(folder, "base.safetensors"));
        try
        {
            model.LoadStateDict(weights);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        return model;
    }

    [Theory]
    [InlineData("lora_default")]
    [InlineData("lora_rslora_bias")]
    public void PeftLayoutAdapter_ForwardLossGradients_MatchPyTorchWithin1e6(string name)
    {
        var folder = Folder(name);
        using var model = BaseModel(folder);
        var adapted = AdapterCheckpoint.Load(model, folder);
        model.Eval();
        var expected = SafetensorsFile.ReadAll(Path.Combine(folder, "expected.safetensors"));
        try
        {
            using var scope = new DisposeScope();
            var logits = model.Forward(expected["x"]);
            var loss = Functional.CrossEntropy(logits, expected["y"]);
            loss.Backward();
            Check("logits", expected["logits"], logits);
            Check("loss", expected["loss"], loss.Reshape(1));
            var withGrad = model.NamedParameters().Where(p => p.Parameter.Value.Grad is not null).Select(p => p.Name).Order().ToList();
            var expectedGrads = expected.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).Select(k => k[5..]).Order().ToList();
            Assert.Equal(expectedGrads, withGrad);
            foreach (var p in expectedGrads) Check("grad " + p, expected["grad." + p], model.GetParameter(p).Value.Grad!);
            Assert.Equal(expectedGrads.Count, adapted.TrainableParameters().Count);
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [InlineData("lora_default", 11)]
    [InlineData("lora_rslora_bias", 12)]
    public void Inject_WithInitSeed_DrawsPyTorchsKaimingA_AndZeroB(string name, ulong seed)
    {
        var folder = Folder(name);
        using var model = BaseModel(folder);
        var options = AdapterCheckpoint.ReadOptions(folder) with { InitSeed = seed };
        var adapted = AdapterModel.Inject(model, options);
        var expected = SafetensorsFile.ReadAll(Path.Combine(folder, "expected.safetensors"));
        try
        {
            foreach (var (layerName, layer) in adapted.Layers)
            {
                var lora = Assert.IsType<LoraLinear>(layer);
                Assert.True(lora.A.Value.ValueEquals(expected["init." + layerName + ".lora_A.weight"]), layerName);
                Assert.Equal(0, lora.B.Value.Abs().Max().ToDouble());
            }
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    private void Check(string what, Tensor want, Tensor got)
    {
        Assert.Equal(want.Shape, got.Shape);
        var diff = MaxAbsDiff(want, got);
        output.WriteLine($"{what}: max |Δ| = {diff:E2}");
        Assert.True(diff <= Tolerance, $"{what}: max |Δ| = {diff:E3} > {Tolerance:E0}");
    }
}
