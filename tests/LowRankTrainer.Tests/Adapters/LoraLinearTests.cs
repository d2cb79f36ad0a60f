using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Torch;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

public class LoraLinearTests
{
    [Theory]
    [InlineData(4, 8, false, 2.0)]
    [InlineData(4, 8, true, 4.0)]
    [InlineData(16, 16, true, 4.0)]
    public void Scaling_IsAlphaOverR_OrAlphaOverSqrtR(int r, double alpha, bool rs, double expected)
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["layers.0"], R = r, Alpha = alpha, UseRsLora = rs });
        var lora = Assert.IsType<LoraLinear>(adapted.Layers[0].Layer);
        Assert.Equal(expected, lora.Scaling, 12);
        Assert.Equal([(long)r, 12L], lora.A.Value.Shape);
        Assert.Equal([16L, (long)r], lora.B.Value.Shape);
    }

    [Fact]
    public void DeltaWeight_IsScaledBTimesA()
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["layers.2"], R = 3, Alpha = 6 });
        Perturb(adapted);
        var lora = (LoraLinear)adapted.Layers[0].Layer;
        using var scope = new DisposeScope();
        var a = lora.A.Value.ToArray<float>();
        var b = lora.B.Value.ToArray<float>();
        var delta = lora.DeltaWeight().ToArray<float>();
        for (var o = 0; o < 16; o++)
        {
            for (var i = 0; i < 16; i++)
            {
                double sum = 0;
                for (var k = 0; k < 3; k++) sum += b[(o * 3) + k] * a[(k * 16) + i];
                Assert.Equal(2 * sum, delta[(o * 16) + i], 5);
            }
        }
    }

    [Fact]
    public void GaussianInit_HasStdOneOverR_AndSeedReproducesIt()
    {
        using var m1 = AdapterTestModels.Mlp();
        using var m2 = AdapterTestModels.Mlp();
        var options = new LoraOptions { TargetModules = ["layers.0"], R = 4, Init = LoraInit.Gaussian, InitSeed = 99 };
        var a1 = ((LoraLinear)AdapterModel.Inject(m1, options).Layers[0].Layer).A.Value;
        var a2 = ((LoraLinear)AdapterModel.Inject(m2, options).Layers[0].Layer).A.Value;
        Assert.True(a1.ValueEquals(a2));
        var values = a1.ToArray<float>();
        var mean = values.Average();
        var std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(std, 0.15, 0.35);  // 1/r = 0.25 from 48 draws
    }

    [Fact]
    public void KaimingInit_IsBoundedByOneOverSqrtDin()
    {
        using var model = AdapterTestModels.Mlp();
        var a = ((LoraLinear)AdapterModel.Inject(model, new LoraOptions { TargetModules = ["layers.0"], R = 8 }).Layers[0].Layer).A.Value;
        var bound = 1 / Math.Sqrt(12);
        Assert.All(a.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
    }

    [Fact]
    public void Dropout_AppliesToTheBranchInputOnly()
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["layers.0", "layers.2"], R = 4, Dropout = 0.5 });
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model);
        model.Eval();
        var baseline = model.Forward(x);
        model.Train();
        // B = 0: the branch adds nothing, so a dropped base input would show here.
        Assert.Equal(0, MaxAbsDiff(baseline, model.Forward(x)));
        Perturb(adapted);
        Assert.True(MaxAbsDiff(model.Forward(x), model.Forward(x)) > 0, "the branch's input should be dropped at random in training");
        model.Eval();
        Assert.Equal(0, MaxAbsDiff(model.Forward(x), model.Forward(x)));
    }

    [Fact]
    public void Merge_InBFloat16_DeltaComputedInFloat32()
    {
        using var model = AdapterTestModels.Mlp();
        model.To(DType.BFloat16);
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["layers.2"], R = 4 });
        Perturb(adapted);
        var lora = (LoraLinear)adapted.Layers[0].Layer;
        using var scope = new DisposeScope();
        Assert.Equal(DType.BFloat16, lora.A.Value.DType);
        Assert.Equal(DType.Float32, lora.DeltaWeight().DType);
        var expected = (lora.BaseLayer.Weight.Value.To(DType.Float32) + lora.DeltaWeight()).To(DType.BFloat16);
        adapted.Merge();
        Assert.True(expected.ValueEquals(lora.BaseLayer.Weight.Value));
    }

    [Fact]
    public void Registry_FindsLoraByNamePeftTypeAndOptions()
    {
        Assert.IsType<LoraMethod>(AdapterRegistry.Get("LoRA"));
        Assert.IsType<LoraMethod>(AdapterRegistry.ForPeftType("LORA"));
        Assert.IsType<LoraMethod>(AdapterRegistry.ForOptions(new LoraOptions()));
        Assert.IsType<LoraOptions>(AdapterRegistry.Get("lora").DefaultOptions);
        var e = Assert.Throws<ArgumentException>(() => AdapterRegistry.Get("vera"));
        Assert.Contains("lora", e.Message, StringComparison.Ordinal);
    }
}
