using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.Lotr;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Tests.Models;

/// <summary><c>model.name: resmlp</c>: names, count, the forward pass against a hand composition, gradients, adapters, pretrained weights.</summary>
public sealed class ResMlpTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lrt-resmlp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ModelConfig Config(int width, int blocks, int classes = 10) =>
        new() { Name = "resmlp", HiddenSizes = [width], NumBlocks = blocks, NumClasses = classes };

    private static Module<Tensor, Tensor> Create(ModelConfig config, ulong seed = 1, long? inputFeatures = null)
    {
        using var g = new Generator(seed);
        return ModelFactory.Create(config, g, inputFeatures);
    }

    private static string[] BlockNames(int blocks) => [.. Enumerable.Range(0, blocks).Select(ResMlp.BlockName)];

    [Fact]
    public void Images_GiveOneRowOfLogitsPerSample_WithStemBlocksHeadNames()
    {
        using var model = Create(Config(16, 3));
        using var scope = new DisposeScope();
        Assert.Equal([5L, 10L], model.Forward(Tensor.Randn([5, 1, 28, 28])).Shape);
        Assert.Equal(["stem.weight", "stem.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                      "blocks.2.weight", "blocks.2.bias", "head.weight", "head.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal("head", Assert.IsAssignableFrom<IClassifierModel>(model).HeadName);
        Assert.Equal([16L, 784L], model.GetParameter("stem.weight").Value.Shape);
        Assert.Equal([16L, 16L], model.GetParameter("blocks.2.weight").Value.Shape);
        Assert.Equal([10L, 16L], model.GetParameter("head.weight").Value.Shape);
    }

    [Theory]
    [InlineData(784, 128, 10, 10, 266_890)]   // 100,480 + 10·16,512 + 1,290
    [InlineData(784, 128, 8, 5, 233_221)]     // 100,480 + 8·16,512 + 645
    [InlineData(784, 256, 12, 10, 993_034)]   // 200,960 + 12·65,792 + 2,570
    [InlineData(5, 3, 1, 2, 38)]              // 18 + 12 + 8
    public void ParameterCount_IsTheClosedForm(int features, int width, int blocks, int classes, long expected)
    {
        // (F·w + w) + L·(w² + w) + (w·C + C), written out once more here against the hand-computed literal.
        long f = features, w = width, c = classes;
        Assert.Equal(expected, (f * w) + w + (blocks * ((w * w) + w)) + (w * c) + c);
        using var model = Create(Config(width, blocks, classes), inputFeatures: features);
        Assert.Equal(expected, ParameterSummary.Of(model).Total);
    }

    [Fact]
    public void Forward_EqualsTheHandWrittenComposition_OfTheSameWeights()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(11);
        using var model = new ResMlp(6, 5, 4, 3, g);
        var x = Tensor.Randn([7, 6], g);
        Tensor P(string name) => model.GetParameter(name).Value;
        // h0 = relu(x·stemᵀ + b); hᵢ = hᵢ₋₁ + relu(hᵢ₋₁·Wᵢᵀ + bᵢ); logits = h_L·headᵀ + b — with matmul and add, not Linear.
        var h = (x.MatMul(P("stem.weight").MT) + P("stem.bias")).Relu();
        for (var i = 0; i < 4; i++)
        {
            h = h + (h.MatMul(P($"blocks.{i}.weight").MT) + P($"blocks.{i}.bias")).Relu();
        }
        var expected = h.MatMul(P("head.weight").MT) + P("head.bias");
        var actual = model.Forward(x);
        Assert.True(expected.AllClose(actual, rtol: 1e-5, atol: 1e-6));
        // The input is flattened: a [N, 1, 2, 3] batch gives the same logits as its [N, 6] rows.
        Assert.True(actual.AllClose(model.Forward(x.Reshape(7, 1, 2, 3))));
    }

    [Fact]
    public void Backward_ReachesEveryParameter_OfEveryBlock()
    {
        using var model = Create(Config(32, 10), seed: 3);
        using var scope = new DisposeScope();
        using var g = new Generator(4);
        var x = Tensor.Randn([64, 1, 28, 28], g);
        var y = Tensor.From<long>([.. Enumerable.Range(0, 64).Select(i => (long)(i % 10))], [64]);
        Functional.CrossEntropy(model.Forward(x), y).Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            var grad = p.Value.Grad;
            Assert.True(grad is not null, $"{name} has no gradient");
            Assert.True(grad.Norm().ToDouble() > 0, $"{name}'s gradient is zero");
        }
    }

    [Fact]
    public void Adapters_FindEveryBlock_ByList_Regex_AndAllLinear()
    {
        const int blocks = 6;
        IReadOnlyList<string> Targets(AdapterOptions options)
        {
            using var model = Create(Config(8, blocks));
            return TargetSelector.Select(model, options).Select(t => t.Name).ToList();
        }
        Assert.Equal(BlockNames(blocks), Targets(new LoraOptions { TargetModules = BlockNames(blocks) }));
        Assert.Equal(BlockNames(blocks), Targets(new LoraOptions { TargetRegex = @"blocks\.\d+" }));
        Assert.Equal(["stem", .. BlockNames(blocks)], Targets(new LoraOptions { TargetModules = [TargetSelector.AllLinear] }));
        Assert.Equal(BlockNames(blocks), Targets(new LoraOptions { TargetModules = [TargetSelector.AllLinear], ExcludeModules = ["stem"] }));
        Assert.Equal(["stem", .. BlockNames(blocks), "head"], Targets(new LoraOptions { TargetModules = [TargetSelector.All] }));
        Assert.Equal(["blocks.1", "blocks.4"], Targets(new LoraOptions { TargetModules = ["blocks.1", "blocks.4"] }));
    }

    [Fact]
    public void Lora_OnEveryBlock_StartsAtTheBaseOutput_AndTheWrappedBlocksRun()
    {
        using var model = Create(Config(8, 4), seed: 2);
        using var scope = new DisposeScope();
        var x = Tensor.Randn([3, 1, 28, 28]);
        var before = model.Forward(x);
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetRegex = @"blocks\.\d+", R = 2, InitSeed = 1 });
        Assert.Equal(BlockNames(4), adapted.Layers.Select(l => l.Name));
        Assert.True(before.AllClose(model.Forward(x)));   // B = 0 at init
        // Perturb one block's LoRA B: the output must move, so the forward pass reads the wrapper, not the old Linear.
        using (Autograd.NoGrad()) model.GetParameter("blocks.2.lora_B.weight").Value.Fill_(0.5);
        Assert.False(before.AllClose(model.Forward(x)));
        // 4 blocks · r·(8 + 8)
        Assert.Equal(4 * 2 * 16, adapted.Summary().Trainable);
    }

    [Fact]
    public void Lotr_AllLinearMinusStem_SharesOneABAcrossEveryBlock()
    {
        const int blocks = 10, width = 16, r = 4;
        using var model = Create(Config(width, blocks));
        var adapted = AdapterModel.Inject(model, new LotrOptions { TargetModules = [TargetSelector.AllLinear], ExcludeModules = ["stem"], R = r });
        var layers = adapted.Layers.Select(l => Assert.IsType<LotrLinear>(l.Layer)).ToList();
        Assert.Equal(BlockNames(blocks), adapted.Layers.Select(l => l.Name));
        Assert.All(layers, l => Assert.Same(layers[0].A, l.A));
        Assert.All(layers, l => Assert.Same(layers[0].B, l.B));
        Assert.Equal(["lotr_A.0", "lotr_B.0"], adapted.Shared.Select(s => s.Name));
        // One group: r·(w + w) shared + L·r² cores.
        Assert.Equal((r * (width + width)) + (blocks * r * r), adapted.Summary().Trainable);
    }

    [Fact]
    public void Pretrained_RoundTrip_AllWeights_OrANewHeadForANewLabelSet()
    {
        var source = Config(12, 3);
        using var trained = Create(source, seed: 99);
        var file = Path.Combine(_dir, PretrainedWeights.FileName);
        using (var state = trained.StateDict())
        {
            SafetensorsWriter.Write(file, state, new Dictionary<string, string> { ["lrt_weights"] = "full" });
        }
        using var g = new Generator(1);
        using var same = ModelFactory.Build(source with { Pretrained = _dir }, g);
        using (var a = trained.StateDict())
        using (var b = same.StateDict())
        {
            Assert.Equal(a.Keys, b.Keys);
            Assert.All(a, kv => Assert.True(kv.Value.ValueEquals(b[kv.Key]), kv.Key));
        }

        // Five classes: the head has another shape, so it is skipped and keeps the fresh draw of seed 1.
        var fiveWay = source with { NumClasses = 5, Pretrained = file, PretrainedSkip = ["head"] };
        using var g5 = new Generator(1);
        using var adapted = ModelFactory.Build(fiveWay, g5);
        using var fresh = Create(fiveWay with { Pretrained = null, PretrainedSkip = [] }, seed: 1);
        using var t = trained.StateDict();
        using var s = adapted.StateDict();
        using var f = fresh.StateDict();
        foreach (var (name, value) in s)
        {
            var expected = name.StartsWith("head.", StringComparison.Ordinal) ? f[name] : t[name];
            Assert.True(value.ValueEquals(expected), name);
        }
        Assert.Equal([5L, 12L], s["head.weight"].Shape);
        // Without the skip the head's shape is refused, naming it.
        using var g6 = new Generator(1);
        var e = Assert.Throws<InvalidDataException>(() => ModelFactory.Build(fiveWay with { PretrainedSkip = [] }, g6));
        Assert.Contains("head.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Factory_RefusesSeveralWidths_AndDropout()
    {
        var e = Assert.Throws<ArgumentException>(() => Create(Config(8, 2) with { HiddenSizes = [8, 8] }));
        Assert.Contains("exactly one model.hidden_sizes value", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Create(Config(8, 2) with { Dropout = 0.1 }));
        Assert.Contains("resmlp has no dropout", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(Config(8, 0)));
    }
}
