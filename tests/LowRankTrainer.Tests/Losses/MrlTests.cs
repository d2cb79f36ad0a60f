using LowRankTrainer.Losses;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Tests.Losses;

/// <summary>MRL / MRL-E heads and the summed MRL objective (Kusupati et al. 2022; METHODS.md §7.1).</summary>
public class MrlTests
{
    private static readonly int[] Sizes = [2, 4, 6];

    private static (double[][] W, double[] B) Head(MrlLinear heads, int index)
    {
        var named = heads.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value);
        return (Reference.Rows(named[$"nesting_classifier_{index}.weight"]), named[$"nesting_classifier_{index}.bias"].To(DType.Float64).ToArray<double>());
    }

    [Fact]
    public void Mrl_EachHeadReadsOnlyItsPrefix_WithItsOwnWeightsAndBias()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(1);
        using var heads = new MrlLinear(6, [6, 2, 4], 3, efficient: false, g);
        Assert.Equal(Sizes, heads.NestingSizes);
        var z = Tensor.Randn([5, 6], g);
        var logits = heads.Forward(z);
        Assert.Equal([5L, 3, 3], logits.Shape);
        var zRows = Reference.Rows(z);
        for (var i = 0; i < Sizes.Length; i++)
        {
            var (w, b) = Head(heads, i);
            Assert.Equal(Sizes[i], w[0].Length);
            var expected = Reference.Affine(zRows, w, b, Sizes[i]);
            var actual = Reference.Rows(logits.Select(1, i));
            for (var r = 0; r < 5; r++) Assert.Equal(expected[r], actual[r], (x, y) => Math.Abs(x - y) < 1e-5);
        }
        // Changing the coordinates after m leaves size m's logits untouched (prefix, not any m coordinates).
        var zChanged = z.Clone();
        using (Autograd.NoGrad()) zChanged.Narrow(1, 2, 4).Add_(Tensor.Ones([5, 4]) * 7.0);
        var changed = heads.Forward(zChanged);
        Assert.True(changed.Select(1, 0).AllClose(logits.Select(1, 0)));
        Assert.False(changed.Select(1, 1).AllClose(logits.Select(1, 1)));
    }

    [Fact]
    public void MrlE_UsesTheFirstMColumnsOfOneHeadAndTheSharedBias()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(2);
        using var heads = new MrlLinear(6, Sizes, 3, efficient: true, g);
        Assert.Equal(["nesting_classifier_0.bias", "nesting_classifier_0.weight"], heads.NamedParameters().Select(p => p.Name).Order());
        var z = Tensor.Randn([4, 6], g);
        var logits = heads.Forward(z);
        var (w, b) = Head(heads, 0);
        for (var i = 0; i < Sizes.Length; i++)
        {
            var expected = Reference.Affine(Reference.Rows(z), w, b, Sizes[i]);
            var actual = Reference.Rows(logits.Select(1, i));
            for (var r = 0; r < 4; r++) Assert.Equal(expected[r], actual[r], (x, y) => Math.Abs(x - y) < 1e-5);
        }
    }

    [Theory]
    [InlineData(false, (2 + 1) * 10 + (4 + 1) * 10 + (6 + 1) * 10)]
    [InlineData(true, (6 + 1) * 10)]
    public void HeadParameterCount_IsSumOverSizesForMrl_AndOneHeadForMrlE(bool efficient, long expected)
    {
        using var g = new Generator(3);
        using var heads = new MrlLinear(6, Sizes, 10, efficient, g);
        Assert.Equal(expected, heads.Parameters().Sum(p => p.NumEl));
    }

    [Theory]
    [InlineData(new[] { 2, 8 }, "nesting size 8 is outside [1, 6]")]
    [InlineData(new[] { 0 }, "nesting size 0 is outside [1, 6]")]
    [InlineData(new[] { 2, 2 }, "distinct")]
    public void BadSizes_AreRejectedByName(int[] sizes, string message)
    {
        using var g = new Generator(4);
        var e = Assert.Throws<ArgumentException>(() => new MrlLinear(6, sizes, 3, false, g));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void Loss_IsTheWeightedSumOfPerSizeMeanCrossEntropies(double smoothing)
    {
        using var scope = new DisposeScope();
        using var g = new Generator(5);
        var logits = Tensor.Randn([7, 3, 4], g, DType.Float64);
        long[] y = [0, 1, 2, 3, 0, 1, 2];
        var target = Tensor.From<long>(y, [7]);
        double[] c = [0.5, 1.0, 2.0];
        var loss = new MatryoshkaCrossEntropy(c, smoothing).Compute(logits, target).ToDouble();
        var expected = Enumerable.Range(0, 3).Sum(i => c[i] * Reference.CrossEntropy(Reference.Rows(logits.Select(1, i)), y, smoothing));
        Assert.Equal(expected, loss, 1e-10);
        // A sum, not a mean: with unit weights it is |M| times the mean of the per-size losses.
        var unit = new MatryoshkaCrossEntropy([1.0, 1.0, 1.0], smoothing).Compute(logits, target).ToDouble();
        var mean = Enumerable.Range(0, 3).Average(i => Reference.CrossEntropy(Reference.Rows(logits.Select(1, i)), y, smoothing));
        Assert.Equal(3 * mean, unit, 1e-10);
        // Zero weights drop sizes: only the last counts.
        var lastOnly = new MatryoshkaCrossEntropy([0.0, 0.0, 1.0], smoothing).Compute(logits, target).ToDouble();
        Assert.Equal(Reference.CrossEntropy(Reference.Rows(logits.Select(1, 2)), y, smoothing), lastOnly, 1e-10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_ReachEveryHeadAndPrefix_AsFiniteDifferencesSay(bool efficient)
    {
        using var g = new Generator(6);
        using var heads = new MrlLinear(6, Sizes, 3, efficient, g, DType.Float64);
        using var z = FiniteDifferences.Leaf(g, 5, 6);
        using var target = Tensor.From<long>([0, 1, 2, 1, 0], [5]);
        var loss = new MatryoshkaCrossEntropy([1.0, 0.5, 2.0], 0.1);
        double Value()
        {
            using var s = new DisposeScope();
            return loss.Compute(heads.Forward(z), target).ToDouble();
        }
        using (var s = new DisposeScope()) loss.Compute(heads.Forward(z), target).Backward();
        FiniteDifferences.AssertMatches("z", Value, z);
        foreach (var (name, p) in heads.NamedParameters())
        {
            FiniteDifferences.AssertMatches(name, Value, p.Value);
            using var grad = p.Value.Grad!;
            using var norm = grad.Abs().Sum();
            Assert.True(norm.ToDouble() > 0, $"{name} received no gradient");
        }
        Autograd.ZeroGrad(heads.Parameters());
        // MRL-E: column j of the shared head only gets gradient from sizes m > j; so does z[:, j].
        if (efficient)
        {
            using var only2 = new DisposeScope();
            new MatryoshkaCrossEntropy([1.0, 0.0, 0.0]).Compute(heads.Forward(z), target).Backward();
            var w = heads.Parameters().Single(p => p.Rank == 2);
            Assert.Equal(0.0, w.Grad!.Narrow(1, 2, 4).Abs().Sum().ToDouble());
            Assert.NotEqual(0.0, w.Grad!.Narrow(1, 0, 2).Abs().Sum().ToDouble());
            Autograd.ZeroGrad(heads.Parameters());
        }
        z.Grad?.Dispose();
    }
}
