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

    private static string Folder(string name) => AdapterReferenceFixture.Folder(name);

    private static Mlp BaseModel(string folder) => AdapterReferenceFixture.BaseModel(folder, 6, [8], 3);

    [Theory]
    [InlineData("lora_default")]
    [InlineData("lora_rslora_bias")]
    public void PeftLayoutAdapter_ForwardLossGradients_MatchPyTorchWithin1e6(string name)
    {
        var diffs = AdapterReferenceFixture.Compare(name, 6, [8], 3);
        foreach (var (what, diff) in diffs)
        {
            output.WriteLine($"{what}: max |Δ| = {diff:E2}");
            Assert.True(diff <= Tolerance, $"{what}: max |Δ| = {diff:E3} > {Tolerance:E0}");
        }
        Assert.Contains(diffs, d => d.What.StartsWith("grad ", StringComparison.Ordinal) && d.What.EndsWith("lora_B.weight", StringComparison.Ordinal));
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
}
