using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lotr;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Xunit.Abstractions;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

public class LotrTests(ITestOutputHelper output)
{
    /// <summary>A residual stack of <paramref name="depth"/> identical d×d Linears (children 0, 1, …) and a d→3 head.</summary>
    private sealed class Stack : Module<Tensor, Tensor>
    {
        private readonly int _depth;

        public Stack(int depth, long d, Generator g)
        {
            _depth = depth;
            for (var i = 0; i < depth; i++) RegisterModule($"l{i}", new Linear(d, d, generator: g));
            RegisterModule("head", new Linear(d, 3, generator: g));
        }

        private Module<Tensor, Tensor> Child(string name) => (Module<Tensor, Tensor>)GetSubmodule(name);

        public override Tensor Forward(Tensor input)
        {
            var h = input;
            for (var i = 0; i < _depth; i++) h = h + Child($"l{i}").Forward(h).Relu();
            return Child("head").Forward(h);
        }
    }

    /// <summary>
    /// tests/fixtures/adapters/lotr_shared/ was written by tools/fixtures/make_lotr_fixture.py (python3-torch, the
    /// reference's ((x @ rhs) @ mid) @ lhs by hand): Mlp(6, [6, 6], 3), layers.0 and layers.2 sharing one (A, B), the head
    /// its own group. Logits, loss and every gradient — the shared factors' summed over the group — within 1e-6 in fp32.
    /// </summary>
    [Fact]
    public void Adapter_ForwardLossGradients_MatchPyTorchWithin1e6()
    {
        var diffs = AdapterReferenceFixture.Compare("lotr_shared", 6, [6, 6], 3);
        foreach (var (what, diff) in diffs)
        {
            output.WriteLine($"{what}: max |Δ| = {diff:E2}");
            Assert.True(diff <= 1e-6, $"{what}: max |Δ| = {diff:E3}");
        }
        Assert.Equal(2 + 4 + 3, diffs.Count);  // logits, loss, two (A, B) pairs, three cores
    }

    [Theory]
    [InlineData(6, 16, 4)]
    [InlineData(3, 10, 1)]
    public void SharedFactors_AreOneTensorObjectPerGroup_CountIsROfDinPlusDoutPlusLRSquared(int depth, long d, int r)
    {
        using var g = new Generator(4);
        using var model = new Stack(depth, d, g);
        var adapted = AdapterModel.Inject(model, new LotrOptions { TargetRegex = @"l\d+", R = r });
        var layers = adapted.Layers.Select(l => Assert.IsType<LotrLinear>(l.Layer)).ToList();
        Assert.Equal(depth, layers.Count);
        Assert.All(layers, l => Assert.Same(layers[0].A, l.A));
        Assert.All(layers, l => Assert.Same(layers[0].B, l.B));
        Assert.All(layers, l => Assert.Same(layers[0].A.Value, l.A.Value));
        Assert.Equal(depth, layers.Select(l => l.G).Distinct().Count());
        Assert.Equal(r * (d + d) + (depth * r * r), adapted.Summary().Trainable);
        Assert.Equal(2 + depth, adapted.TrainableParameters().Count);
        Assert.Equal(["lotr_A.0", "lotr_B.0"], adapted.Shared.Select(s => s.Name));
    }

    [Fact]
    public void Groups_FollowShape_EachShapeItsOwnPair()
    {
        using var model = AdapterTestModels.Toy();  // q/v 8×8 (×4), fc1 8→12, classifier 12→3
        var adapted = AdapterModel.Inject(model, new LotrOptions { TargetModules = ["q_proj", "v_proj", "fc1", "classifier"], R = 2 });
        var byName = adapted.Layers.ToDictionary(l => l.Name, l => Assert.IsType<LotrLinear>(l.Layer));
        Assert.Same(byName["blocks.0.q_proj"].A, byName["blocks.1.v_proj"].A);
        Assert.NotSame(byName["blocks.0.q_proj"].A, byName["fc1"].A);
        Assert.NotSame(byName["fc1"].B, byName["classifier"].B);
        Assert.Equal([8L, 2], byName["blocks.0.q_proj"].A.Value.Shape);
        Assert.Equal([12L, 2], byName["fc1"].A.Value.Shape);
        Assert.Equal([8L, 2], byName["fc1"].B.Value.Shape);
        Assert.Equal(["lotr_A.0", "lotr_B.0", "lotr_A.1", "lotr_B.1", "lotr_A.2", "lotr_B.2"], adapted.Shared.Select(s => s.Name));
        // (2·16 + 4·4) + (2·20 + 4) + (2·15 + 4) = 48 + 44 + 34
        Assert.Equal(126, adapted.Summary().Trainable);
    }

    [Theory]
    [InlineData(LotrInit.Normal, 1.0, 1.0)]
    [InlineData(LotrInit.Scaled, 0.25, 0.125)]  // 1/√16, 1/√64
    public void Init_FactorsGaussian_CoreZero(LotrInit init, double stdA, double stdB)
    {
        using var g = new Generator(5);
        using var model = new Sequential(new Linear(64, 16, generator: g), new Linear(64, 16, generator: g));
        var adapted = AdapterModel.Inject(model, new LotrOptions { TargetModules = ["0"], R = 32, Init = init, InitSeed = 9 });
        var layer = Assert.IsType<LotrLinear>(adapted.Layers[0].Layer);
        using var scope = new DisposeScope();
        Assert.Equal(0, layer.G.Value.Abs().Max().ToDouble());
        // 512 and 2048 draws: the sample std is within 10% of σ with overwhelming probability (fixed seed: deterministic).
        Assert.InRange(layer.A.Value.Std().ToDouble() / stdA, 0.9, 1.1);
        Assert.InRange(layer.B.Value.Std().ToDouble() / stdB, 0.9, 1.1);
        Assert.InRange(layer.A.Value.Mean().ToDouble() / stdA, -0.1, 0.1);
        Assert.Equal(1.0 / 32, layer.Scaling, 12);
    }

    [Fact]
    public void Checkpoint_StoresSharedFactorsOncePerGroup_CoresPerLayer()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = AdapterModel.Inject(model, new LotrOptions { TargetModules = ["q_proj", "v_proj", "fc1"], R = 2 });
        var folder = TempFolder();
        try
        {
            AdapterCheckpoint.Save(adapted, folder);
            using var file = SafetensorsFile.Open(Path.Combine(folder, AdapterCheckpoint.WeightsFile));
            string[] expected =
            [
                "base_model.lotr_A.0", "base_model.lotr_B.0", "base_model.lotr_A.1", "base_model.lotr_B.1",
                "base_model.model.blocks.0.q_proj.lotr_G", "base_model.model.blocks.0.v_proj.lotr_G",
                "base_model.model.blocks.1.q_proj.lotr_G", "base_model.model.blocks.1.v_proj.lotr_G", "base_model.model.fc1.lotr_G",
            ];
            Assert.Equal(expected.Order(StringComparer.Ordinal), file.Names.Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void DeltaWeight_IsScaleOverRTimesAGBt()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = AdapterModel.Inject(model, new LotrOptions { TargetModules = ["fc1"], R = 3, Scale = 6 });
        Perturb(adapted);
        var layer = Assert.IsType<LotrLinear>(adapted.Layers[0].Layer);
        using var scope = new DisposeScope();
        var (a, g, b) = (layer.A.Value.To(DType.Float64), layer.G.Value.To(DType.Float64), layer.B.Value.To(DType.Float64));
        var expected = a.Mm(g).Mm(b.MT) * 2.0;  // 6 / 3
        Assert.True(MaxAbsDiff(expected, layer.DeltaWeight().To(DType.Float64)) <= 1e-5);
    }
}
