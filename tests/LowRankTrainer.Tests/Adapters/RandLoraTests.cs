using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Xunit.Abstractions;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

public class RandLoraTests(ITestOutputHelper output)
{
    /// <summary>
    /// tests/fixtures/adapters/randlora_*/ were written by tools/fixtures/make_randlora_fixture.py (python3-torch 1.13,
    /// PEFT's formulas by hand): Mlp(6, [8], 3) with layers.0 (m = d_in) and layers.2 (m = d_out, the transposed case),
    /// PEFT and paper scaling, dense and sparse bases stored once. Logits, loss and λ/γ gradients within 1e-5 in fp32 (the
    /// fixture's PyTorch 1.13 and libtorch 2.x on another CPU sum in other orders: 3.8e-6 was seen on an H100 machine).
    /// </summary>
    [Theory]
    [InlineData("randlora_peft")]
    [InlineData("randlora_paper_sparse")]
    public void PeftLayoutAdapter_ForwardLossGradients_MatchPyTorchWithin1e5(string name)
    {
        var diffs = AdapterReferenceFixture.Compare(name, 6, [8], 3);
        foreach (var (what, diff) in diffs)
        {
            output.WriteLine($"{what}: max |Δ| = {diff:E2}");
            Assert.True(diff <= 1e-5, $"{what}: max |Δ| = {diff:E3}");
        }
        Assert.Equal(2 + 4, diffs.Count);  // logits, loss, λ and γ of two layers
    }

    [Fact]
    public void Inject_OneBasesPairForTheModel_SizedForTheLargestTarget_InitAsPeft()
    {
        using var model = AdapterTestModels.Mlp();  // layers.0 12→16, layers.2 16→16, head layers.4 16→5
        var adapted = AdapterModel.Inject(model, new RandLoraOptions { TargetModules = ["layers.0", "layers.2", "layers.4"], R = 3 });
        var layers = adapted.Layers.Select(l => Assert.IsType<RandLoraLinear>(l.Layer)).ToList();
        // Largest (d_out, d_in) = (16, 16): m = M = 16, n_max = ⌈16/3⌉ = 6.
        Assert.Equal([3L, 1, 16], layers[0].A.Value.Shape);
        Assert.Equal([16L, 6, 3], layers[0].B.Value.Shape);
        Assert.All(layers, l => Assert.Same(layers[0].A, l.A));
        Assert.All(layers, l => Assert.Same(layers[0].B, l.B));
        Assert.Equal(2, model.NamedBuffers().Count(b => b.Name.EndsWith("randlora_A", StringComparison.Ordinal) || b.Name.EndsWith("randlora_B", StringComparison.Ordinal)));
        using var scope = new DisposeScope();
        Assert.Equal(1.0, layers[0].A.Value.Std().ToDouble(), 5);
        Assert.Equal(1.0, layers[0].B.Value.Std().ToDouble(), 5);
        // Per layer: m = min(d_in, d_out), n = ⌈m/3⌉, λ = 0 (r, n), γ = 1/max(n, m) (n, m); the head 16→5 is transposed.
        foreach (var (layer, m, n, transposed) in new[] { (layers[0], 12L, 4, false), (layers[1], 16L, 6, false), (layers[2], 5L, 2, true) })
        {
            Assert.Equal((m, n, transposed), (layer.MinDim, layer.NumBases, layer.Transposed));
            Assert.Equal([3L, n], layer.Lambda.Value.Shape);
            Assert.Equal([(long)n, m], layer.Gamma.Value.Shape);
            Assert.Equal(0, layer.Lambda.Value.Abs().Max().ToDouble());
            Assert.True(MaxAbsDiff(layer.Gamma.Value, Tensor.Full([n, m], 1.0 / m)) == 0);
            Assert.Equal(640.0 / 3, layer.Scaling, 12);
        }
    }

    [Fact]
    public void Bases_DependOnlyOnProjectionPrngKey_NotOnInitSeed()
    {
        using var m1 = AdapterTestModels.Mlp();
        using var m2 = AdapterTestModels.Mlp();
        using var m3 = AdapterTestModels.Mlp();
        RandLoraLinear First(Module model, ulong key, ulong seed) =>
            Assert.IsType<RandLoraLinear>(AdapterModel.Inject(model, new RandLoraOptions { TargetModules = ["all-linear"], R = 4, ProjectionPrngKey = key, InitSeed = seed }).Layers[0].Layer);
        var (a, b, c) = (First(m1, 7, 1), First(m2, 7, 2), First(m3, 8, 1));
        Assert.True(a.B.Value.ValueEquals(b.B.Value) && a.A.Value.ValueEquals(b.A.Value));
        Assert.False(a.B.Value.ValueEquals(c.B.Value));
    }

    [Theory]
    [InlineData(false, 1.0 / 3)]      // s = 3: P(±1) = 1/6 each
    [InlineData(true, 1.0 / 8)]       // s = √64 = 8: P(±1) = 1/16 each
    public void SparseBases_AreTernary_WithPeftsShareOfNonZeros_AndUnitStd(bool verySparse, double nonZeroShare)
    {
        using var g = new Generator(1);
        using var model = new Sequential(new Linear(64, 256, generator: g));
        var adapted = AdapterModel.Inject(model, new RandLoraOptions { TargetModules = ["0"], R = 1, Sparse = !verySparse, VerySparse = verySparse });
        var layer = Assert.IsType<RandLoraLinear>(adapted.Layers[0].Layer);
        using var scope = new DisposeScope();
        var b = layer.B.Value;  // (256, 64, 1): 16,384 draws
        var c = b.Abs().Max().ToDouble();
        var nonZero = b.Abs().Gt(0).To(DType.Float32);
        Assert.True(MaxAbsDiff(b.Abs(), nonZero * c) == 0, "every entry is 0 or ±c");
        var share = nonZero.Mean().ToDouble();
        output.WriteLine($"non-zero share {share:F4} (expected {nonZeroShare:F4})");
        Assert.InRange(share, nonZeroShare - 0.02, nonZeroShare + 0.02);
        Assert.Equal(1.0, b.Std().ToDouble(), 5);
        var positive = b.Gt(0).To(DType.Float32).Sum().ToDouble();
        Assert.InRange(positive / (share * b.NumEl), 0.45, 0.55);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Checkpoint_StoresBasesOnceOrNot_AndReloadReproducesOutputs(bool saveProjection)
    {
        var options = new RandLoraOptions { TargetModules = ["all-linear"], R = 4, Alpha = 4, SaveProjection = saveProjection, ProjectionPrngKey = 11 };
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, options);
        Perturb(adapted);
        model.Eval();
        var folder = TempFolder();
        try
        {
            AdapterCheckpoint.Save(adapted, folder);
            using (var file = SafetensorsFile.Open(Path.Combine(folder, AdapterCheckpoint.WeightsFile)))
            {
                string[] perLayer = ["base_model.model.layers.0.randlora_lambda", "base_model.model.layers.0.randlora_gamma", "base_model.model.layers.2.randlora_lambda", "base_model.model.layers.2.randlora_gamma"];
                string[] bases = saveProjection ? ["base_model.randlora_A", "base_model.randlora_B"] : [];
                Assert.Equal(bases.Concat(perLayer).Order(StringComparer.Ordinal), file.Names.Order(StringComparer.Ordinal));
            }
            Assert.Contains("\"projection_prng_key\": 11", File.ReadAllText(Path.Combine(folder, AdapterCheckpoint.ConfigFile)), StringComparison.Ordinal);
            using var fresh = AdapterTestModels.Mlp();
            AdapterCheckpoint.Load(fresh, folder);
            fresh.Eval();
            using var scope = new DisposeScope();
            var x = AdapterTestModels.Input(model);
            Assert.True(model.Forward(x).ValueEquals(fresh.Forward(x)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// The native branch saves for backward exactly its five inputs — x, the two base slices (views of the shared
    /// buffers) and λ, γ — and nothing it computed: no r·n·m product outlives the forward.
    /// </summary>
    [Theory]
    [InlineData(40, 40)]
    [InlineData(48, 24)]
    public void Backward_SavesOnlyTheInputs_NoRnmProduct(long dIn, long dOut)
    {
        using var g = new Generator(2);
        using var model = new Sequential(new Linear(dIn, dOut, generator: g));
        var adapted = AdapterModel.Inject(model, new RandLoraOptions { TargetModules = ["0"], R = 4 });
        var layer = Assert.IsType<RandLoraLinear>(adapted.Layers[0].Layer);
        Perturb(adapted);
        using var scope = new DisposeScope();
        var x = Tensor.Randn([3, dIn], g);
        var (a, b) = (layer.SlicedA(), layer.SlicedB());
        var branch = RandLoraOps.Branch(x, a, b, layer.Lambda.Value, layer.Gamma.Value, layer.Transposed);
        var inputs = x.NumEl + a.NumEl + b.NumEl + layer.Lambda.Value.NumEl + layer.Gamma.Value.NumEl;
        Assert.Equal(inputs, RandLoraOps.SavedElementCount(branch));
        Assert.Equal(-1, RandLoraOps.SavedElementCount(x * 2));
        var rnm = 4L * layer.NumBases * layer.MinDim;
        output.WriteLine($"saved {inputs} elements, all inputs; the Ã that PEFT's graph would keep: {rnm}");
        // The gradients through this node agree with the merged form x ΔWᵀ built from ordinary autograd ops.
        branch.Square().Sum().Backward();
        var (gl, gg) = (layer.Lambda.Value.Grad!.Clone(), layer.Gamma.Value.Grad!.Clone());
        Autograd.ZeroGrad([layer.Lambda.Value, layer.Gamma.Value]);
        var delta = layer.DeltaWeight() / layer.Scaling;
        x.MatMul(delta.MT).Square().Sum().Backward();
        Assert.True(MaxAbsDiff(gl, layer.Lambda.Value.Grad!) <= 1e-4 * (1 + gl.Abs().Max().ToDouble()));
        Assert.True(MaxAbsDiff(gg, layer.Gamma.Value.Grad!) <= 1e-4 * (1 + gg.Abs().Max().ToDouble()));
    }

    /// <summary>
    /// Inside a bf16 autocast region (train.dtype bf16, the CUDA default) the branch gets a bf16 input from the layer
    /// before it and float32 λ, γ and bases: it computes in bf16, as autocast would, within bf16 rounding of the float32
    /// branch, and λ's and γ's gradients come back in float32 (autocast's casts sit outside the native function).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NativeBranch_UnderBf16Autocast_ComputesInBf16_AndGradientsStayFloat32(bool transposed)
    {
        const long r = 2, n = 3, m = 8, big = 16;
        using var g = new Generator(5);
        using var scope = new DisposeScope();
        var a = Tensor.Randn([r, 1, m], g);
        var b = Tensor.Randn([big, n, r], g);
        var lambda = Tensor.Randn([r, n], g).RequiresGrad_();
        var gamma = Tensor.Randn([n, m], g).RequiresGrad_();
        var x = Tensor.Randn([4, transposed ? big : m], g);
        var expected = RandLoraOps.Branch(x, a, b, lambda, gamma, transposed).Detach();
        Tensor y;
        using (Autocast.Enter(DeviceType.Cpu, DType.BFloat16))
        {
            y = RandLoraOps.Branch(x.To(DType.BFloat16), a, b, lambda, gamma, transposed);
        }
        Assert.Equal(DType.BFloat16, y.DType);
        var scale = expected.Abs().Max().ToDouble();
        var diff = (y.To(DType.Float32) - expected).Abs().Max().ToDouble();
        Assert.True(diff <= 3e-2 * scale, $"bf16 branch differs from float32 by {diff:E2} (scale {scale:E2})");
        y.To(DType.Float32).Sum().Backward();
        Assert.Equal(DType.Float32, lambda.Grad!.DType);
        Assert.Equal(DType.Float32, gamma.Grad!.DType);
    }

    /// <summary>Float64 central differences of the native branch's λ, γ and x gradients, both orientations.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NativeBranch_Gradients_MatchFloat64FiniteDifferences(bool transposed)
    {
        const long r = 2, n = 2, m = 3, big = 5;
        using var g = new Generator(3);
        using var scope = new DisposeScope();
        var a = Tensor.Randn([r, 1, m + 1], g, DType.Float64).Narrow(2, 0, m);     // a view, as a layer's slice is
        var b = Tensor.Randn([big + 1, n + 1, r], g, DType.Float64).Narrow(0, 0, big).Narrow(1, 0, n);
        var lambda = Tensor.Randn([r, n], g, DType.Float64).RequiresGrad_();
        var gamma = Tensor.Randn([n, m], g, DType.Float64).RequiresGrad_();
        var x = Tensor.Randn([2, 2, transposed ? big : m], g, DType.Float64).RequiresGrad_();  // a batch of 2×2 rows
        var weights = Tensor.Randn([2, 2, transposed ? m : big], g, DType.Float64);
        double Loss() => (RandLoraOps.Branch(x, a, b, lambda, gamma, transposed) * weights).Sum().ToDouble();
        (RandLoraOps.Branch(x, a, b, lambda, gamma, transposed) * weights).Sum().Backward();
        foreach (var t in new[] { lambda, gamma, x })
        {
            var analytic = t.Grad!.Reshape(-1).ToArray<double>();
            var flat = t.Detach().Reshape(-1);  // shares storage with t
            for (var i = 0; i < analytic.Length; i++)
            {
                using var inner = new DisposeScope();
                var v = flat[i].ToDouble();
                using (Autograd.NoGrad()) flat[i].Fill_(v + 1e-6);
                var up = Loss();
                using (Autograd.NoGrad()) flat[i].Fill_(v - 1e-6);
                var down = Loss();
                using (Autograd.NoGrad()) flat[i].Fill_(v);
                Assert.True(Math.Abs((up - down) / 2e-6 - analytic[i]) <= 1e-6, $"element {i}: fd {(up - down) / 2e-6}, autograd {analytic[i]}");
            }
        }
    }

    [Fact]
    public void Scaling_PeftIsAlphaOverR_PaperIsTwoOverSqrtN()
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new RandLoraOptions { TargetModules = ["layers.0", "layers.4"], R = 4, Scaling = RandLoraScaling.Paper });
        var layers = adapted.Layers.Select(l => Assert.IsType<RandLoraLinear>(l.Layer)).ToList();
        Assert.Equal(2 / Math.Sqrt(3), layers[0].Scaling, 12);  // m = 12, n = 3
        Assert.Equal(2 / Math.Sqrt(2), layers[1].Scaling, 12);  // m = 5, n = 2
        Assert.Equal(10.0, new RandLoraOptions { R = 4, Alpha = 40 }.ScalingFor(3), 12);
    }

    [Fact]
    public void SparseAndVerySparse_Together_AreRejected()
    {
        using var model = AdapterTestModels.Mlp();
        var e = Assert.Throws<ArgumentException>(() => AdapterModel.Inject(model, new RandLoraOptions { TargetModules = ["all-linear"], Sparse = true, VerySparse = true }));
        Assert.Contains("very_sparse", e.Message, StringComparison.Ordinal);
    }
}
