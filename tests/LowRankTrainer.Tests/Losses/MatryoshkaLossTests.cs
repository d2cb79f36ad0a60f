using LowRankTrainer.Losses;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Losses;

/// <summary>The MatryoshkaLoss wrapper and its MNRL base loss (sentence-transformers semantics; METHODS.md §7.2).</summary>
public class MatryoshkaLossTests
{
    [Fact]
    public void Shrink_TakesThePrefixThenL2Normalises()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(1);
        var x = Tensor.Randn([3, 8], g, DType.Float64);
        var shrunk = Reference.Rows(EmbeddingOps.Shrink(x, 3));
        var expected = Reference.Shrink(Reference.Rows(x), 3);
        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(expected[r], shrunk[r], (a, b) => Math.Abs(a - b) < 1e-12);
            Assert.Equal(1.0, shrunk[r].Sum(v => v * v), 1e-12);
        }
        Assert.Throws<ArgumentException>(() => EmbeddingOps.Shrink(x, 9));
    }

    [Fact]
    public void Mnrl_MatchesTheInBatchSoftmaxOverScaledCosines()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(2);
        var a = Tensor.Randn([5, 6], g, DType.Float64);
        var p = Tensor.Randn([5, 6], g, DType.Float64);
        Assert.Equal(Reference.Mnrl(Reference.Rows(a), Reference.Rows(p)), new MultipleNegativesRankingLoss().Compute(a, p).ToDouble(), 1e-10);
        Assert.Equal(Reference.Mnrl(Reference.Rows(a), Reference.Rows(p), 5), new MultipleNegativesRankingLoss(5).Compute(a, p).ToDouble(), 1e-10);
    }

    [Fact]
    public void Wrapper_SortsDimsDescending_WeightsTravelWithTheirDims_AndSumsWeightedLossesOnShrunkEmbeddings()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(3);
        var a = Tensor.Randn([4, 8], g, DType.Float64);
        var p = Tensor.Randn([4, 8], g, DType.Float64);
        var recorder = new RecordingLoss();
        var loss = new MatryoshkaLoss(recorder, [2, 8, 4], [0.5, 2.0, 1.5]);
        Assert.Equal([8, 4, 2], loss.Dims);
        Assert.Equal([2.0, 1.5, 0.5], loss.Weights);
        var value = loss.Compute(a, p).ToDouble();
        Assert.Equal([8L, 4, 2], recorder.Widths);
        double expected = 0;
        foreach (var (dim, w) in new[] { (8, 2.0), (4, 1.5), (2, 0.5) })
        {
            expected += w * RecordingLoss.Value(Reference.Shrink(Reference.Rows(a), dim), Reference.Shrink(Reference.Rows(p), dim));
        }
        Assert.Equal(expected, value, 1e-10);
    }

    [Fact]
    public void DefaultWeights_AreOne_AndMnrlWrapperEqualsTheSumOverDims()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(4);
        var a = Tensor.Randn([6, 8], g, DType.Float64);
        var p = Tensor.Randn([6, 8], g, DType.Float64);
        var value = new MatryoshkaLoss(new MultipleNegativesRankingLoss(), [8, 4, 2]).Compute(a, p).ToDouble();
        var expected = new[] { 8, 4, 2 }.Sum(d => Reference.Mnrl(Reference.Shrink(Reference.Rows(a), d), Reference.Shrink(Reference.Rows(p), d)));
        Assert.Equal(expected, value, 1e-10);
    }

    [Fact]
    public void DimsPerStep_SamplesKDistinctDimsPerCall_ReproduciblyFromTheSeed()
    {
        var first = new MatryoshkaLoss(new RecordingLoss(), [64, 32, 16, 8, 4, 2], dimsPerStep: 2, seed: 11);
        var twin = new MatryoshkaLoss(new RecordingLoss(), [64, 32, 16, 8, 4, 2], dimsPerStep: 2, seed: 11);
        var other = new MatryoshkaLoss(new RecordingLoss(), [64, 32, 16, 8, 4, 2], dimsPerStep: 2, seed: 12);
        var draws = Enumerable.Range(0, 50).Select(_ => first.SampleIndices()).ToList();
        Assert.All(draws, d =>
        {
            Assert.Equal(2, d.Length);
            Assert.True(d[0] < d[1]);
            Assert.All(d, i => Assert.InRange(i, 0, 5));
        });
        Assert.Equal(draws, Enumerable.Range(0, 50).Select(_ => twin.SampleIndices()).ToList());
        Assert.NotEqual(draws, Enumerable.Range(0, 50).Select(_ => other.SampleIndices()).ToList());
        // Every index is drawn sometimes (a sample, not a fixed subset).
        Assert.Equal(6, draws.SelectMany(d => d).Distinct().Count());
        Assert.Equal(6, new MatryoshkaLoss(new RecordingLoss(), [64, 32, 16, 8, 4, 2]).SampleIndices().Length);
    }

    [Fact]
    public void SampledCall_UsesExactlyTheDrawnDims()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(5);
        var a = Tensor.Randn([3, 8], g, DType.Float64);
        var recorder = new RecordingLoss();
        var loss = new MatryoshkaLoss(recorder, [8, 6, 4, 2], dimsPerStep: 1, seed: 3);
        var predictor = new MatryoshkaLoss(new RecordingLoss(), [8, 6, 4, 2], dimsPerStep: 1, seed: 3);
        for (var call = 0; call < 10; call++)
        {
            loss.Compute(a, a);
            Assert.Equal(predictor.Dims[predictor.SampleIndices()[0]], recorder.Widths[^1]);
        }
    }

    [Theory]
    [InlineData(new[] { 4, 0 }, null, -1, "must be > 0")]
    [InlineData(new[] { 4, 4 }, null, -1, "distinct")]
    [InlineData(new[] { 4, 2 }, new[] { 1.0 }, -1, "1 weights for 2 dims")]
    [InlineData(new[] { 4, 2 }, null, 0, "dims_per_step")]
    public void BadArguments_AreRejected(int[] dims, double[]? weights, int perStep, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new MatryoshkaLoss(new RecordingLoss(), dims, weights, perStep));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DimLargerThanTheEmbedding_IsAnErrorNamingBoth()
    {
        using var scope = new DisposeScope();
        var x = Tensor.Zeros(2, 4);
        var e = Assert.Throws<ArgumentException>(() => new MatryoshkaLoss(new RecordingLoss(), [8, 2]).Compute(x, x));
        Assert.Contains("dim 8 is outside [1, 4]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gradients_OfTheMnrlWrapper_MatchFiniteDifferences()
    {
        using var g = new Generator(6);
        using var a = FiniteDifferences.Leaf(g, 4, 6);
        using var p = FiniteDifferences.Leaf(g, 4, 6);
        var loss = new MatryoshkaLoss(new MultipleNegativesRankingLoss(), [6, 3, 1], [1.0, 0.5, 2.0]);
        double Value()
        {
            using var s = new DisposeScope();
            return loss.Compute(a, p).ToDouble();
        }
        using (var s = new DisposeScope()) loss.Compute(a, p).Backward();
        FiniteDifferences.AssertMatches("anchors", Value, a);
        FiniteDifferences.AssertMatches("positives", Value, p);
    }
}
