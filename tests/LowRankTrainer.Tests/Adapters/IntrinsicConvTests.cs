using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Intrinsic;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Models;
using LowRankTrainer.Tests.Losses;
using LowRankTrainer.Tests.Training;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>
/// The intrinsic subspace over Conv2d layers as well as Linear ones (Li et al. 2018 project every parameter of their
/// LeNet, D = 44,426): the LeNet layout against the hand count in <see cref="LeNet5"/>'s doc, the conv forward against
/// a plain Conv2d holding W₀ + ΔW added by hand, θ's and λ's gradient through a conv against float64 central
/// differences, merge into the conv weights, the checkpoint round trip, and the Linear-only methods refusing a conv.
/// </summary>
[Collection(TrainingSerial.Name)]
public class IntrinsicConvTests
{
    // Li et al.'s LeNet (valid convs on 28×28): conv1 6·1·5·5 + 6, conv2 16·6·5·5 + 16, fc 256→120, 120→84, 84→10.
    private static readonly long[] LeNetTensorSizes = [150, 6, 2_400, 16, 30_720, 120, 10_080, 84, 840, 10];

    private static LeNet5 LeNet()
    {
        using var g = new Generator(13);
        return new LeNet5(1, 28, 10, 0, g);
    }

    private static Tensor LeNetInput()
    {
        using var g = new Generator(14);
        return Tensor.Randn([3, 1, 28, 28], g);
    }

    [Theory]
    [InlineData(false, 300)]
    [InlineData(true, 290)]  // SAID: one λ per tensor, 10 tensors, θ of d − 10
    public void LeNet_All_ProjectsEveryParameter_D44426_AndTrainsExactlyD(bool said, long thetaLength)
    {
        using var model = LeNet();
        var total = ParameterSummary.Of(model).Total;
        Assert.Equal(44_426, total);
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { D = 300, Said = said });
        Assert.Equal(["features.0", "features.3", "classifier.0", "classifier.2", "classifier.4"], adapted.Layers.Select(l => l.Name));
        Assert.Equal([typeof(IntrinsicConv2d), typeof(IntrinsicConv2d), typeof(IntrinsicLinear), typeof(IntrinsicLinear), typeof(IntrinsicLinear)],
                     adapted.Layers.Select(l => l.Layer.GetType()));
        var subspace = ((IntrinsicLayer)adapted.Layers[0].Layer).Subspace;
        Assert.Equal(LeNetTensorSizes, subspace.Blocks.Select(b => b.Size));
        Assert.Equal(total, subspace.Projection.OutputSize);
        Assert.Equal(thetaLength, subspace.Theta.Value.NumEl);
        var summary = adapted.Summary();
        Assert.Equal(300, summary.Trainable);
        Assert.Equal(44_426 + 300, summary.Total);
        Assert.StartsWith("adapter: intrinsic on 5 layer(s): features.0, features.3, classifier.0", adapted.Describe(), StringComparison.Ordinal);
        // Every base parameter, convs included, is frozen: only θ (and λ) train.
        Assert.All(adapted.TrainableParameters(), p => Assert.Contains("intrinsic_", p.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void LeNet_AllForLinearOnlyMethods_StillTakesOnlyTheLinears()
    {
        using var model = LeNet();
        Assert.Equal(["classifier.0", "classifier.2", "classifier.4"],
                     TargetSelector.Select(model, new LoraOptions { TargetModules = [TargetSelector.All] }).Select(t => t.Name));
    }

    public static TheoryData<string> LinearOnlyMethods()
    {
        var data = new TheoryData<string>();
        foreach (var m in AdapterRegistry.Methods.Where(m => !m.SupportsConv2d)) data.Add(m.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(LinearOnlyMethods))]
    public void ConvNamedForALinearOnlyMethod_IsRefused_NamingTheModuleAndTheMethod(string name)
    {
        using var model = LeNet();
        var method = AdapterRegistry.Get(name);
        var options = method.DefaultOptions with { TargetModules = ["features.3", "classifier.0"] };
        var e = Assert.Throws<ArgumentException>(() => AdapterModel.Inject(model, method, options));
        Assert.Contains($"adapter target 'features.3' is a Conv2d; {name} adapts only Linear layers (Conv2d layers are adapted by intrinsic)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(model.NamedModules(), m => m.Module is AdapterLayer);
        Assert.All(model.NamedParameters(), p => Assert.True(p.Parameter.RequiresGrad, p.Name));
    }

    [Fact]
    public void Intrinsic_NamedConv_IsAdapted_AndAContainerIsRefused()
    {
        using var model = LeNet();
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { TargetModules = ["features.0"], D = 20 });
        Assert.Equal(156, ((IntrinsicLayer)adapted.Layers.Single().Layer).Subspace.Projection.OutputSize);
        using var other = LeNet();
        var e = Assert.Throws<ArgumentException>(() => AdapterModel.Inject(other, new IntrinsicOptions { TargetModules = ["features"], D = 20 }));
        Assert.Contains("adapter target 'features' is a Sequential; intrinsic adapts only Linear or Conv2d layers", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(IntrinsicProjectionKind.Fastfood, false)]
    [InlineData(IntrinsicProjectionKind.Dense, true)]
    [InlineData(IntrinsicProjectionKind.Sparse, true)]
    public void ConvForward_EqualsAPlainConvWithW0PlusDeltaAddedByHand(IntrinsicProjectionKind kind, bool said)
    {
        using var reference = AdapterTestModels.ConvNet();
        using var model = AdapterTestModels.ConvNet();
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { D = 16, Said = said, Projection = kind, InitSeed = 2 });
        Assert.IsType<IntrinsicConv2d>(adapted.Layers[0].Layer);
        var subspace = ((IntrinsicLayer)adapted.Layers[0].Layer).Subspace;
        Perturb(adapted);
        using var scope = new DisposeScope();
        // P θ from P's columns (P e_j), then λ_t per tensor, added to a plain copy in parameter order:
        // conv.weight (6, 2, 3, 2) row-major, conv.bias, head.weight, head.bias.
        var offset = subspace.Projection.Matrix().MatMul(subspace.Theta.Value).ToArray<float>();
        var lambda = subspace.Lambda?.Value.ToArray<float>();
        using (Autograd.NoGrad())
        {
            var t = 0;
            long at = 0;
            foreach (var (_, parameter) in reference.NamedParameters())
            {
                var n = parameter.Value.NumEl;
                var scale = lambda?[t] ?? 1f;
                var delta = offset[(int)at..(int)(at + n)].Select(v => v * scale).ToArray();
                parameter.Value.Add_(Tensor.From<float>(delta, parameter.Value.Shape));
                at += n;
                t++;
            }
            Assert.Equal(369, at);
        }
        var x = AdapterTestModels.Input(model);
        var expected = reference.Forward(x);
        using (var plain = AdapterTestModels.ConvNet()) Assert.True(MaxAbsDiff(expected, plain.Forward(x)) > 1e-3, "the perturbation should move the output");
        Assert.True(MaxAbsDiff(expected, model.Forward(x)) < 1e-5);
        // The conv layer alone, too: its output is conv2d(x, W₀ + ΔW, b₀ + Δb) with the base's stride, padding, dilation, groups.
        var conv = (Conv2d)reference.GetSubmodule("conv");
        Assert.True(MaxAbsDiff(conv.Forward(x), adapted.Layers[0].Layer.Forward(x)) < 1e-5);
    }

    [Fact]
    public void ThetaAndLambdaGradient_ThroughAConv_MatchFloat64CentralDifferences()
    {
        using var model = AdapterTestModels.ConvNet();
        model.To(DType.Float64);
        // Only the conv is projected (2 tensors, SAID: θ ∈ ℝ⁶, λ ∈ ℝ²), so every gradient flows through the convolution.
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { TargetModules = ["conv"], D = 8, Said = true, InitSeed = 4 });
        Perturb(adapted);
        var subspace = ((IntrinsicConv2d)adapted.Layers.Single().Layer).Subspace;
        var theta = subspace.Theta.Value;
        var lambda = subspace.Lambda!.Value;
        Assert.Equal(DType.Float64, theta.DType);
        using var scope = new DisposeScope();
        var x = AdapterTestModels.Input(model).To(DType.Float64);
        double Loss()
        {
            using var s = new DisposeScope();
            return model.Forward(x).Square().Sum().ToDouble();
        }
        model.Forward(x).Square().Sum().Backward();
        Assert.Contains(theta.Grad!.ToArray<double>(), g => Math.Abs(g) > 1e-3);
        FiniteDifferences.AssertMatches("intrinsic_theta", Loss, theta, atol: 5e-6, rtol: 1e-5);
        FiniteDifferences.AssertMatches("intrinsic_lambda", Loss, lambda, atol: 5e-6, rtol: 1e-5);
    }

    [Fact]
    public void LeNet_Merge_MaterialisesIntoTheConvWeights_OutputsUnchanged_UnmergeRestores()
    {
        using var fresh = LeNet();
        using var model = LeNet();
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { D = 50, Said = true, InitSeed = 5 });
        Perturb(adapted);
        model.Eval();
        fresh.Eval();
        using var scope = new DisposeScope();
        var x = LeNetInput();
        var unmerged = model.Forward(x).Detach();
        var conv = (IntrinsicConv2d)adapted.Layers[1].Layer;
        var w0 = ((Conv2d)fresh.GetSubmodule("features.3")).Weight.Value;
        var delta = conv.DeltaWeight().Detach();
        Assert.Equal([16, 6, 5, 5], delta.Shape);
        Assert.True(delta.Abs().Max().ToDouble() > 1e-4);
        adapted.Merge();
        Assert.True(MaxAbsDiff(conv.BaseWeight.Value, w0 + delta) <= 1e-6);
        Assert.True(MaxAbsDiff(unmerged, model.Forward(x)) <= 1e-5);
        adapted.Unmerge();
        Assert.True(MaxAbsDiff(conv.BaseWeight.Value, w0) <= 1e-6);
        adapted.Disable();  // W₀ back up to the rounding of + ΔW − ΔW
        Assert.True(MaxAbsDiff(fresh.Forward(x), model.Forward(x)) <= 1e-6);
    }

    [Fact]
    public void LeNet_SaveLoad_StoresOnlyThetaAndLambda_AndReproducesOutputsExactly()
    {
        using var model = LeNet();
        var adapted = AdapterModel.Inject(model, new IntrinsicOptions { D = 40, Said = true, Projection = IntrinsicProjectionKind.Sparse, InitSeed = 6 });
        Perturb(adapted);
        model.Eval();
        var folder = TempFolder();
        try
        {
            AdapterCheckpoint.Save(adapted, folder);
            Assert.Equal(["base_model.intrinsic_lambda", "base_model.intrinsic_theta"],
                         AdapterCheckpoint.Entries(adapted).Select(e => e.Key).Order(StringComparer.Ordinal));
            using var fresh = LeNet();
            var loaded = AdapterCheckpoint.Load(fresh, folder);
            fresh.Eval();
            Assert.Equal(adapted.Layers.Select(l => (l.Name, l.Layer.GetType())), loaded.Layers.Select(l => (l.Name, l.Layer.GetType())));
            using var scope = new DisposeScope();
            var x = LeNetInput();
            Assert.True(model.Forward(x).ValueEquals(fresh.Forward(x)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
