using System.Numerics;

namespace LowRankTrainer.Torch.Tests.Ops;

/// <summary>
/// The fast Walsh–Hadamard transform against the explicitly built Sylvester–Hadamard matrix
/// H[i, j] = (−1)^popcount(i AND j) (unnormalised, the H of Li et al.'s Fastfood).
/// </summary>
public class FwhtTests
{
    private static double HadamardEntry(long i, long j) => BitOperations.PopCount((ulong)(i & j)) % 2 == 0 ? 1 : -1;

    private static double[] Explicit(double[] x, long row0, long rows)
    {
        var n = x.Length;
        var y = new double[rows];
        for (var i = 0L; i < rows; i++)
        {
            for (var j = 0; j < n; j++) y[i] += HadamardEntry(row0 + i, j) * x[j];
        }
        return y;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(8192)]  // longer than the 4096-element cache block: the cross-block stages run too
    public void Fwht_Float64_EqualsTheExplicitHadamardMatrix(int n)
    {
        using var scope = new DisposeScope();
        using var g = new Generator(11);
        var x = Tensor.Randn([n], g, DType.Float64);
        var xs = x.ToArray<double>();
        var rows = Math.Min(n, 64L);
        var y = x.Fwht().ToArray<double>();
        var expected = Explicit(xs, 0, rows);
        for (var i = 0; i < rows; i++) Assert.Equal(expected[i], y[i], 9);
        var tail = Explicit(xs, n - rows, rows);
        for (var i = 0; i < rows; i++) Assert.Equal(tail[i], y[n - rows + i], 9);
    }

    [Fact]
    public void Fwht_LongRowInPlace_ParallelPath_MatchesExplicitRows_AndTwiceIsNTimesIdentity()
    {
        const int n = 1 << 16;  // ≥ 8 blocks: the blocks and the wide stages run through parallel_for
        using var scope = new DisposeScope();
        using var g = new Generator(12);
        var x = Tensor.Randn([n], g, DType.Float64);
        var xs = x.ToArray<double>();
        var y = x.Clone().Fwht_();
        var ys = y.ToArray<double>();
        foreach (var row in new long[] { 0, 1, 4095, 4096, 32767, 32768, n - 1 })
        {
            Assert.Equal(Explicit(xs, row, 1)[0], ys[row], 8);
        }
        var back = y.Fwht_().ToArray<double>();  // H H = n I
        for (var i = 0; i < n; i += 997) Assert.Equal(xs[i] * n, back[i], 6);
    }

    [Fact]
    public void Fwht_Float32Batch_TransformsEveryRowOnItsOwn()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(13);
        var x = Tensor.Randn([3, 2, 16], g);
        var y = x.Fwht();
        Assert.Equal(new long[] { 3, 2, 16 }, y.Shape);
        var xs = x.To(DType.Float64).ToArray<double>();
        var ys = y.To(DType.Float64).ToArray<double>();
        for (var r = 0; r < 6; r++)
        {
            var expected = Explicit(xs[(r * 16)..((r + 1) * 16)], 0, 16);
            for (var i = 0; i < 16; i++) Assert.Equal(expected[i], ys[r * 16 + i], 4);
        }
        Assert.Equal(xs, x.To(DType.Float64).ToArray<double>());  // the out-of-place op leaves its input alone
    }

    [Fact]
    public void Fwht_BackwardIsTheTransformOfTheGradient()
    {
        using var scope = new DisposeScope();
        var x = Tensor.From<double>([1, -2, 0.5, 3], [4]).RequiresGrad_();
        var w = Tensor.From<double>([0.3, -1, 2, 0.25], [4]);
        (x.Fwht() * w).Sum().Backward();
        Assert.Equal(Explicit([0.3, -1, 2, 0.25], 0, 4), x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Fwht_NotAPowerOfTwo_ErrorSaysSo()
    {
        using var scope = new DisposeScope();
        var ex = Assert.Throws<TorchException>(() => Tensor.Zeros([2, 6]).Fwht());
        Assert.Contains("power of two, got 6", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FwhtInPlace_OnATensorThatRequiresGrad_IsRefused()
    {
        using var scope = new DisposeScope();
        var x = Tensor.Zeros([4]).RequiresGrad_();
        var ex = Assert.Throws<TorchException>(() => x.Fwht_());
        Assert.Contains("requires grad", ex.Message, StringComparison.Ordinal);
    }
}
