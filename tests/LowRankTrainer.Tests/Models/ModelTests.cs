using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Tests.Models;

public class ModelTests
{
    private static Module<Tensor, Tensor> Create(ModelConfig config, ulong seed = 1)
    {
        using var g = new Generator(seed);
        return ModelFactory.Create(config, g);
    }

    [Fact]
    public void Mlp_784_256_256_10_HasPyTorchNamesAndCount()
    {
        using var model = Create(new ModelConfig { Name = "mlp", HiddenSizes = [256, 256] });
        var names = model.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias"], names);
        Assert.Equal(269_322, ParameterSummary.Of(model).Total);
        Assert.Equal("layers.4", ((IClassifierModel)model).HeadName);
        Assert.Equal([10L, 256L], model.GetParameter("layers.4.weight").Value.Shape);
    }

    [Fact]
    public void Mlp_WithDropout_HeadMovesToLayers6()
    {
        using var model = Create(new ModelConfig { Name = "mlp", HiddenSizes = [256, 256], Dropout = 0.1 });
        Assert.Equal("layers.6", ((IClassifierModel)model).HeadName);
        Assert.Equal(269_322, ParameterSummary.Of(model).Total);
    }

    [Theory]
    [InlineData("mlp", 269_322)]
    [InlineData("lenet5", 44_426)] // Li et al. 2018's LeNet: valid convs on 28×28 (hand count in LeNet5's doc)
    [InlineData("cnn", 50_186)]
    public void Create_ImageModels_MapImagesToTenLogits(string name, long count)
    {
        using var model = Create(new ModelConfig { Name = name });
        using var scope = new DisposeScope();
        var y = model.Forward(Tensor.Randn([3, 1, 28, 28]));
        Assert.Equal([3L, 10L], y.Shape);
        Assert.Equal(count, ParameterSummary.Of(model).Total);
    }

    [Fact]
    public void LeNet5_Padding2_IsTheClassic61706()
    {
        using var g = new Generator(1);
        using var model = new LeNet5(1, 28, 10, 0, g, padding: 2);
        Assert.Equal(61_706, ParameterSummary.Of(model).Total);
        Assert.Equal("classifier.4", model.HeadName);
        Assert.Equal(["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias", "classifier.0.weight"],
                     model.NamedParameters().Select(p => p.Name).Take(5).ToArray());
    }

    [Fact]
    public void Create_SameSeed_SameWeights_OtherSeed_Different()
    {
        var config = new ModelConfig { Name = "cnn" };
        using var a = Create(config, 5);
        using var b = Create(config, 5);
        using var c = Create(config, 6);
        using var sa = a.StateDict();
        using var sb = b.StateDict();
        using var sc = c.StateDict();
        Assert.All(sa, kv => Assert.True(kv.Value.ValueEquals(sb[kv.Key]), kv.Key));
        Assert.False(sa["features.0.weight"].ValueEquals(sc["features.0.weight"]));
    }

    [Fact]
    public void Create_UnknownName_ListsKnownModels()
    {
        var e = Assert.Throws<ArgumentException>(() => Create(new ModelConfig { Name = "resnet" }));
        Assert.Contains("'resnet'", e.Message, StringComparison.Ordinal);
        Assert.Contains("mlp, resmlp, lenet5, cnn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_TabularFeatures_SizesTheMlpInput()
    {
        using var g = new Generator(1);
        using var model = ModelFactory.Create(new ModelConfig { HiddenSizes = [8], NumClasses = 3 }, g, inputFeatures: 5);
        using var scope = new DisposeScope();
        Assert.Equal([4L, 3L], model.Forward(Tensor.Randn([4, 5])).Shape);
        Assert.Equal((5 * 8) + 8 + (8 * 3) + 3, ParameterSummary.Of(model).Total);
    }

    [Fact]
    public void ParameterSummary_PeftLineAndTable()
    {
        using var model = Create(new ModelConfig { Name = "mlp", HiddenSizes = [256, 256] });
        model.Freeze();
        model.GetSubmodule("layers.4").Unfreeze();
        var summary = ParameterSummary.Of(model);
        Assert.Equal(2_570, summary.Trainable);
        Assert.Equal("trainable params: 2,570 || all params: 269,322 || trainable%: 0.9542", summary.ToPeftLine());
        var table = summary.ToTable();
        Assert.Contains("layers.4.weight", table, StringComparison.Ordinal);
        Assert.Contains("[10, 256]", table, StringComparison.Ordinal);
        Assert.Contains("200,704", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Mlp_ForwardLayers_ReturnsEachHiddenBlocksOutput_AndTheHeadOfTheLastIsForward()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(5);
        using var mlp = new Mlp(6, [5, 4, 3], 2, dropout: 0, g);
        var x = Tensor.Randn([7, 6], g);
        var layers = mlp.ForwardLayers(x);
        Assert.Equal([5L, 4, 3], layers.Select(l => l.Size(1)));
        // Recompute h1..h3 by hand from the state dict: h = relu(W h + b).
        var h = x;
        for (var i = 0; i < 3; i++)
        {
            h = Tensor.Linear(h, mlp.GetParameter($"layers.{2 * i}.weight").Value, mlp.GetParameter($"layers.{2 * i}.bias").Value).Relu();
            Assert.True(h.AllClose(layers[i]), $"layer {i}");
        }
        var head = Tensor.Linear(layers[2], mlp.GetParameter("layers.6.weight").Value, mlp.GetParameter("layers.6.bias").Value);
        Assert.True(head.AllClose(mlp.Forward(x)));
    }

    [Fact]
    public void MatryoshkaMlp_SharesTheMlpEncoderNames_AndHeadsFollowTheLossConfig()
    {
        using var g = new Generator(6);
        var loss = new LossConfig { Type = "mrl", Matryoshka = new MatryoshkaConfig { Dims = [64, 2, 8], Efficient = false } };
        using var model = ModelFactory.Create(new ModelConfig { Name = "mlp", HiddenSizes = [256, 64] }, g, loss: loss);
        Assert.IsType<MatryoshkaMlp>(model);
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                      "mrl.nesting_classifier_0.weight", "mrl.nesting_classifier_0.bias", "mrl.nesting_classifier_1.weight",
                      "mrl.nesting_classifier_1.bias", "mrl.nesting_classifier_2.weight", "mrl.nesting_classifier_2.bias"],
                     model.NamedParameters().Select(p => p.Name));
        Assert.Equal([10L, 8L], model.GetParameter("mrl.nesting_classifier_1.weight").Value.Shape);
        Assert.Equal(784 * 256 + 256 + 256 * 64 + 64 + (3 + 9 + 65) * 10, ParameterSummary.Of(model).Total);
        Assert.Equal("mrl", ((IClassifierModel)model).HeadName);
        using var scope = new DisposeScope();
        Assert.Equal([5L, 3, 10], model.Forward(Tensor.Zeros(5, 1, 28, 28)).Shape);
    }

    [Fact]
    public void Linear_IsOneLayerNamedLinear_WidthsFromTheData_ComputingXWtPlusB()
    {
        using var g = new Generator(8);
        // inputFeatures / outputFeatures (the data's widths) replace in_channels·image_size² and num_classes.
        using var model = ModelFactory.Create(new ModelConfig { Name = "linear" }, g, inputFeatures: 5, outputFeatures: 3);
        var linear = Assert.IsType<LinearModel>(model);
        Assert.Equal(["linear.weight", "linear.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal([3L, 5L], model.GetParameter("linear.weight").Value.Shape);
        Assert.Equal("linear", linear.HeadName);
        using var scope = new DisposeScope();
        var x = Tensor.Randn([4, 5], g);
        var expected = x.MatMul(linear.Layer.Weight.Value.MT) + linear.Layer.Bias!.Value.Unsqueeze(0);
        Assert.True(expected.AllClose(model.Forward(x)));
        Assert.Equal([2L, 3L], model.Forward(Tensor.Zeros(2, 1, 5)).Shape);   // inputs are flattened
    }

    [Fact]
    public void Linear_ZerosWithoutBias_IsTheZeroMap_AndTheDefaultInitIsNnLinears()
    {
        using var g = new Generator(9);
        using var zero = ModelFactory.Create(new ModelConfig { Name = "linear", Bias = false, Init = "zeros" }, g, 6, outputFeatures: 6);
        Assert.Equal(["linear.weight"], zero.NamedParameters().Select(p => p.Name));
        Assert.All(zero.GetParameter("linear.weight").Value.ToArray<float>(), w => Assert.Equal(0f, w));

        using var g1 = new Generator(10);
        using var g2 = new Generator(10);
        using var model = ModelFactory.Create(new ModelConfig { Name = "linear" }, g1, 6, outputFeatures: 4);
        using var reference = new Linear(6, 4, generator: g2);
        Assert.Equal(reference.Weight.Value.ToArray<float>(), model.GetParameter("linear.weight").Value.ToArray<float>());
        Assert.Equal(reference.Bias!.Value.ToArray<float>(), model.GetParameter("linear.bias").Value.ToArray<float>());
    }

    [Fact]
    public void Linear_RunsAnInjectedAdapter()
    {
        using var g = new Generator(11);
        using var model = new LinearModel(4, 4, bias: false, zeros: true, g);
        var adapted = LowRankTrainer.Adapters.AdapterModel.Inject(model, new LowRankTrainer.Adapters.Lora.LoraOptions { TargetModules = ["linear"], R = 2, Alpha = 2 });
        var lora = (LowRankTrainer.Adapters.Lora.LoraLinear)adapted.Layers[0].Layer;
        using (Autograd.NoGrad()) lora.B.Value.Fill_(1);
        using var scope = new DisposeScope();
        var x = Tensor.Randn([3, 4], g);
        // W0 = 0, so the output is the update alone: x (B A)ᵀ with scale 1.
        var expected = x.MatMul(lora.B.Value.MatMul(lora.A.Value).MT);
        Assert.True(expected.Abs().Sum().ToDouble() > 0);
        Assert.True(expected.AllClose(model.Forward(x)));
    }

    [Fact]
    public void BiasAndInit_AreForTheLinearModelOnly()
    {
        using var g = new Generator(12);
        var e = Assert.Throws<ArgumentException>(() => ModelFactory.Create(new ModelConfig { Name = "mlp", Init = "zeros" }, g));
        Assert.Contains("model.bias and model.init apply to model.name linear only, not mlp", e.Message, StringComparison.Ordinal);
    }
}
