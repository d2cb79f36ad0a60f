namespace LowRankTrainer.Torch.Tests.Ops;

[Collection(SerialOps.Name)]
public class RandomTests
{
    private static (float[] Randn, float[] Rand, long[] RandInt, long[] Perm) Draw(ulong seed)
    {
        using var scope = new DisposeScope();
        using var g = new Generator(seed);
        return (Tensor.Randn([50], g).ToArray<float>(),
                Tensor.Rand([7], g).ToArray<float>(),
                Tensor.RandInt(0, 1000, [20], g).ToArray<long>(),
                Tensor.RandPerm(30, g).ToArray<long>());
    }

    [Fact]
    public void Generator_SameSeed_IdenticalSequences()
    {
        var a = Draw(1234);
        var b = Draw(1234);
        Assert.Equal(a.Randn, b.Randn);
        Assert.Equal(a.Rand, b.Rand);
        Assert.Equal(a.RandInt, b.RandInt);
        Assert.Equal(a.Perm, b.Perm);
    }

    [Fact]
    public void Generator_DifferentSeeds_DifferentSequences()
    {
        var a = Draw(1);
        var b = Draw(2);
        Assert.NotEqual(a.Randn, b.Randn);
        Assert.NotEqual(a.Rand, b.Rand);
        Assert.NotEqual(a.RandInt, b.RandInt);
        Assert.NotEqual(a.Perm, b.Perm);
    }

    [Fact]
    public void Generator_SuccessiveDraws_Differ()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(5);
        Assert.NotEqual(Tensor.Randn([8], g).ToArray<float>(), Tensor.Randn([8], g).ToArray<float>());
    }

    [Fact]
    public void GeneratorManualSeed_Reseed_StreamRestartsAndSeedReported()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(9);
        Assert.Equal(9UL, g.Seed);
        var first = Tensor.Rand([6], g).ToArray<float>();
        g.ManualSeed(9);
        Assert.Equal(first, Tensor.Rand([6], g).ToArray<float>());
        g.ManualSeed(77);
        Assert.Equal(77UL, g.Seed);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(64)]
    public void GetStateSetState_MidStream_ReplaysExactly(int size)
    {
        using var scope = new DisposeScope();
        using var g = new Generator(42);
        _ = Tensor.Randn([size], g);
        _ = Tensor.Rand([5], g);
        var state = g.GetState();
        Assert.Equal(DType.UInt8, state.DType);
        var normal = Tensor.Randn([size], g).ToArray<float>();
        var uniform = Tensor.Rand([size], g).ToArray<float>();
        var ints = Tensor.RandInt(-5, 5, [size], g).ToArray<long>();
        g.SetState(state);
        Assert.Equal(normal, Tensor.Randn([size], g).ToArray<float>());
        Assert.Equal(uniform, Tensor.Rand([size], g).ToArray<float>());
        Assert.Equal(ints, Tensor.RandInt(-5, 5, [size], g).ToArray<long>());
    }

    [Fact]
    public void ManualSeed_DefaultGenerator_DrawsRepeat()
    {
        using var scope = new DisposeScope();
        TorchRuntime.ManualSeed(2024);
        var a = Tensor.Randn([10]).ToArray<float>();
        var p = Tensor.RandPerm(10).ToArray<long>();
        TorchRuntime.ManualSeed(2024);
        Assert.Equal(a, Tensor.Randn([10]).ToArray<float>());
        Assert.Equal(p, Tensor.RandPerm(10).ToArray<long>());
        using var g = Generator.Default();
        Assert.Equal(2024UL, g.Seed);
    }

    [Fact]
    public void ManualSeed_SameSeedAsNewGenerator_SameStream()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(7);
        var fromGenerator = Tensor.Randn([5], g).ToArray<float>();
        TorchRuntime.ManualSeed(7);
        Assert.Equal(fromGenerator, Tensor.Randn([5]).ToArray<float>());
    }

    [Fact]
    public void Rand_ManySamples_WithinZeroInclusiveOneExclusive()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(3);
        var x = Tensor.Rand([20000], g).ToArray<float>();
        Assert.All(x, v => Assert.InRange(v, 0f, 1f));
        Assert.DoesNotContain(1f, x);
        Assert.True(x.Min() < 0.001f && x.Max() > 0.999f, "samples cover [0, 1)");
    }

    [Fact]
    public void RandInt_ManySamples_WithinLowInclusiveHighExclusiveAndAllHit()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(4);
        var x = Tensor.RandInt(-3, 4, [10000], g).ToArray<long>();
        Assert.All(x, v => Assert.InRange(v, -3L, 3L));
        Assert.Equal(7, x.Distinct().Count());
    }

    [Fact]
    public void RandPerm_N_IsPermutationOfZeroToNMinusOne()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(5);
        var p = Tensor.RandPerm(100, g).ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), p.Order());
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => (long)i), p);
    }

    [Fact]
    public void UniformInPlace_WithGenerator_RangeAndReproducible()
    {
        using var scope = new DisposeScope();
        var t = Tensor.Empty(5000);
        using var g1 = new Generator(11);
        Assert.Same(t, t.Uniform_(2, 5, g1));
        var x = t.ToArray<float>();
        Assert.All(x, v => Assert.InRange(v, 2f, 5f));
        Assert.DoesNotContain(5f, x);
        Assert.Equal(3.5, x.Average(v => (double)v), 1);
        using var g2 = new Generator(11);
        Assert.Equal(x, Tensor.Empty(5000).Uniform_(2, 5, g2).ToArray<float>());
    }

    private static (double Mean, double Std) Moments(float[] x)
    {
        var mean = x.Average(v => (double)v);
        var variance = x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);
        return (mean, Math.Sqrt(variance));
    }

    [Fact]
    public void NormalInPlace_WithGenerator_MeanAndStdMatch()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(12);
        var t = Tensor.Empty(20000);
        Assert.Same(t, t.Normal_(10, 0.5, g));
        var (mean, std) = Moments(t.ToArray<float>());
        Assert.InRange(mean, 9.98, 10.02);
        Assert.InRange(std, 0.49, 0.51);
    }

    [Fact]
    public void Randn_100kSamples_MeanNearZeroStdNearOne()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(13);
        var (mean, std) = Moments(Tensor.Randn([100_000], g).ToArray<float>());
        Assert.InRange(mean, -0.015, 0.015);
        Assert.InRange(std, 0.99, 1.01);
    }
}
