using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Torch.Tests.Nn;

/// <summary>Attention against its formula, seeded dropout and PyTorch's seeded initialisation.</summary>
public class FunctionalTests : NnTestBase
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void ScaledDotProductAttention_EqualsTheExplicitFormula(bool boolMask, bool causal)
    {
        using var scope = new DisposeScope();
        using var gen = new Generator(11);
        var length = causal ? 6 : 5;
        var q = Tensor.Randn([2, 3, length, 4], gen, DType.Float64);
        var k = Tensor.Randn([2, 3, 6, 4], gen, DType.Float64);
        var v = Tensor.Randn([2, 3, 6, 2], gen, DType.Float64);
        Tensor? mask = null;
        var scores = q.MatMul(k.MT) * (1 / Math.Sqrt(4));
        if (boolMask)
        {
            mask = Tensor.Rand([5, 6], gen, DType.Float64) > 0.3;
            mask.Select(1, 0).Fill_(true);  // every query sees at least one key
            scores = scores.MaskedFill(~mask, double.NegativeInfinity);
        }
        if (causal)
        {
            // query i may see key j when j <= i
            var keep = Tensor.Arange(6).Unsqueeze(0) <= Tensor.Arange(6).Unsqueeze(1);
            scores = scores.MaskedFill(~keep, double.NegativeInfinity);
        }
        var expected = scores.Softmax(-1).MatMul(v);
        var actual = Functional.ScaledDotProductAttention(q, k, v, mask, isCausal: causal);
        Assert.True(actual.AllClose(expected, rtol: 0, atol: 1e-12));
    }

    /// <summary>Grouped-query attention: 6 query heads over 2 key/value heads equals attention over the kv heads
    /// repeated 3-fold as HF's repeat_kv does (head h reads kv head ⌊h/3⌋), causal or under a mask.</summary>
    private static void CheckGroupedQueryAttention(Device device, DType dtype, bool withMask, double atol)
    {
        using var scope = new DisposeScope();
        using var gen = new Generator(5);
        var q = Tensor.Randn([2, 6, 7, 8], gen, dtype).To(device);
        var k = Tensor.Randn([2, 2, 7, 8], gen, dtype).To(device);
        var v = Tensor.Randn([2, 2, 7, 8], gen, dtype).To(device);
        Tensor? mask = null;
        if (withMask)
        {
            mask = Tensor.Rand([7, 7], gen) > 0.3;
            mask.Select(1, 0).Fill_(true);
            mask = mask.To(device);
        }
        // repeat_kv: [N, G, T, D] → [N, G, r, T, D] → [N, G·r, T, D]
        var kRep = k.Unsqueeze(2).Expand(2, 2, 3, 7, 8).Reshape(2, 6, 7, 8);
        var vRep = v.Unsqueeze(2).Expand(2, 2, 3, 7, 8).Reshape(2, 6, 7, 8);
        var expected = Functional.ScaledDotProductAttention(q, kRep, vRep, mask, isCausal: !withMask);
        var actual = Functional.ScaledDotProductAttention(q, k, v, mask, isCausal: !withMask, enableGqa: true);
        var diff = (actual.To(Device.Cpu, DType.Float64) - expected.To(Device.Cpu, DType.Float64)).Abs().Max().ToDouble();
        Assert.True(diff <= atol, $"grouped-query attention differs from repeated heads by {diff:E2} (atol {atol:E0})");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScaledDotProductAttention_GroupedQueryHeads_EqualRepeatedKeyValueHeads(bool withMask) =>
        CheckGroupedQueryAttention(Device.Cpu, DType.Float64, withMask, 1e-12);

    /// <summary>On CUDA without a mask libtorch ≥ 2.5 reads the shared heads in place (bf16 takes the flash kernel).</summary>
    [GpuFact]
    public void ScaledDotProductAttention_GroupedQueryHeads_OnCuda_EqualRepeatedKeyValueHeads()
    {
        CheckGroupedQueryAttention(Device.Cuda(), DType.Float32, withMask: false, 1e-5);
        CheckGroupedQueryAttention(Device.Cuda(), DType.Float32, withMask: true, 1e-5);
        CheckGroupedQueryAttention(Device.Cuda(), DType.BFloat16, withMask: false, 3e-2);
    }

    [Fact]
    public void ScaledDotProductAttention_GroupedQueryHeads_NotAMultiple_IsRejected()
    {
        using var scope = new DisposeScope();
        var q = Tensor.Ones(1, 5, 2, 4);
        var kv = Tensor.Ones(1, 2, 2, 4);
        var e = Assert.ThrowsAny<TorchException>(() => Functional.ScaledDotProductAttention(q, kv, kv, enableGqa: true));
        Assert.Contains("multiple", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScaledDotProductAttention_MaskTogetherWithCausal_IsRejected()
    {
        using var scope = new DisposeScope();
        var x = Tensor.Ones(1, 2, 2);
        Assert.ThrowsAny<Exception>(() => Functional.ScaledDotProductAttention(x, x, x, Tensor.Ones([2, 2], DType.Bool), isCausal: true));
    }

    [Fact]
    public void Dropout_SeededGenerator_MatchesPyTorchAndIsReproducible()
    {
        var fixture = NnFixture.File("seeded.json").GetProperty("dropout_seed1234_p0.3");
        using var scope = new DisposeScope();
        var x = NnFixture.ToTensor(fixture.GetProperty("x"));
        using var gen = new Generator(1234);
        var y = Functional.Dropout(x, 0.3, training: true, gen);
        NnFixture.AssertClose(fixture.GetProperty("y"), y, "dropout vs torch.manual_seed(1234) + F.dropout", atol: 1e-12);
        gen.ManualSeed(1234);
        Assert.True(Functional.Dropout(x, 0.3, training: true, gen).ValueEquals(y));
    }

    [Fact]
    public void Dropout_KeptElementsScaledByInverseKeepProbability_DropRateNearP()
    {
        using var scope = new DisposeScope();
        using var gen = new Generator(9);
        var x = Tensor.Full([20000], 2.0, DType.Float64);
        var y = Functional.Dropout(x, 0.25, training: true, gen).ToArray<double>();
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - (2.0 / 0.75)) < 1e-12, $"{v}"));
        var dropped = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(dropped, 0.23, 0.27);
        Assert.True(Functional.Dropout(x, 0.25, training: false).ValueEquals(x));
        Assert.Equal(0.0, Functional.Dropout(x, 1.0, training: true, gen).Abs().Sum().ToDouble());
    }

    [Fact]
    public void DefaultInitialisation_WithSeededGenerator_IsPyTorchsBitForBit()
    {
        var seeded = NnFixture.File("seeded.json");
        using var scope = new DisposeScope();
        using var gen = new Generator(42);
        using (var linear = new Linear(5, 3, generator: gen)) AssertState(seeded.GetProperty("linear_init_seed42"), linear);
        gen.ManualSeed(42);
        using (var conv = new Conv2d(4, 6, 3, groups: 2, generator: gen)) AssertState(seeded.GetProperty("conv2d_init_seed42"), conv);
        gen.ManualSeed(42);
        using (var emb = new Embedding(6, 3, paddingIdx: 1, generator: gen)) AssertState(seeded.GetProperty("embedding_init_seed42"), emb);
    }

    private static void AssertState(System.Text.Json.JsonElement expected, Module module)
    {
        using var state = module.StateDict();
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name), state.Keys);
        foreach (var p in expected.EnumerateObject()) NnFixture.AssertClose(p.Value, state[p.Name], p.Name, atol: 0, rtol: 0);
    }

    [Fact]
    public void CrossEntropy_AllTargetsIgnored_MeanIsNaN_AsInPyTorch()
    {
        using var scope = new DisposeScope();
        var loss = Functional.CrossEntropy(Tensor.Zeros(2, 3), Tensor.From<long>(-100, -100));
        Assert.True(double.IsNaN(loss.ToDouble()));
    }
}
