using LowRankTrainer.Losses;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Losses;

/// <summary>2D Matryoshka (AdaptiveLayerLoss ∘ MatryoshkaLoss, METHODS.md §7.3) and Starbucks fixed pairs (§7.4).</summary>
public class LayerLossTests
{
    private static (Tensor[] A, Tensor[] P) Layers(Generator g, int layers, long n = 4, long d = 8)
    {
        var a = Enumerable.Range(0, layers).Select(_ => Tensor.Randn([n, d], g, DType.Float64)).ToArray();
        var p = Enumerable.Range(0, layers).Select(_ => Tensor.Randn([n, d], g, DType.Float64)).ToArray();
        return (a, p);
    }

    private static double[][] Stack(Tensor a, Tensor p) => [.. Reference.Rows(a), .. Reference.Rows(p)];

    [Fact]
    public void TwoD_AllLayersAllDims_IsLastLayerPlusPriorLayersWeightedOneOverOnePlusLOverS_PlusKl()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(1);
        var (a, p) = Layers(g, 4);
        var recorder = new RecordingLoss();
        var inner = new MatryoshkaLoss(recorder, [8, 2], [1.0, 0.5]);
        var loss = new Matryoshka2dLoss(inner, layersPerStep: -1, lastLayerWeight: 1.5, priorLayersWeight: 0.7, klDivWeight: 2.0, klTemperature: 0.3);
        var value = loss.Compute(a, p).ToDouble();

        double M(int l) => new[] { (8, 1.0), (2, 0.5) }.Sum(dw =>
            dw.Item2 * RecordingLoss.Value(Reference.Shrink(Reference.Rows(a[l]), dw.Item1), Reference.Shrink(Reference.Rows(p[l]), dw.Item1)));
        var expected = 1.5 * M(3);
        var final = Stack(a[3], p[3]);
        foreach (var l in new[] { 0, 1, 2 })
        {
            expected += M(l) * 0.7 / (1 + l) / 3;
            expected += 0.3 * 2.0 * Reference.KlBatchMean(Stack(a[l], p[l]), final, 0.3);
        }
        Assert.Equal(expected, value, 1e-9);
        // Inner calls: final layer first, then layers 0, 1, 2, each at dims 8 then 2.
        Assert.Equal([8L, 2, 8, 2, 8, 2, 8, 2], recorder.Widths);
    }

    [Fact]
    public void TwoD_WithoutKl_OneSampledLayerAndDim_FollowsTheSeed()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(2);
        var (a, p) = Layers(g, 4);
        var recorder = new RecordingLoss();
        var loss = new Matryoshka2dLoss(new MatryoshkaLoss(recorder, [8, 4, 2], dimsPerStep: 1, seed: 5), klTemperature: 0, seed: 9);
        var layerTwin = new Matryoshka2dLoss(new MatryoshkaLoss(new RecordingLoss(), [8], seed: 5), klTemperature: 0, seed: 9);
        var dimTwin = new MatryoshkaLoss(new RecordingLoss(), [8, 4, 2], dimsPerStep: 1, seed: 5);
        var seenLayers = new HashSet<int>();
        for (var step = 0; step < 12; step++)
        {
            recorder.Widths.Clear();
            recorder.Inputs.Clear();
            var value = loss.Compute(a, p).ToDouble();
            var layer = Assert.Single(layerTwin.SampleLayers(4));
            seenLayers.Add(layer);
            var finalDim = dimTwin.Dims[dimTwin.SampleIndices()[0]];
            var layerDim = dimTwin.Dims[dimTwin.SampleIndices()[0]];
            Assert.Equal([finalDim, layerDim], recorder.Widths);
            var expected = RecordingLoss.Value(Reference.Shrink(Reference.Rows(a[3]), finalDim), Reference.Shrink(Reference.Rows(p[3]), finalDim))
                + RecordingLoss.Value(Reference.Shrink(Reference.Rows(a[layer]), layerDim), Reference.Shrink(Reference.Rows(p[layer]), layerDim)) / (1 + layer);
            Assert.Equal(expected, value, 1e-9);
        }
        Assert.True(seenLayers.Count > 1 && seenLayers.All(l => l is >= 0 and <= 2), $"sampled layers {string.Join(",", seenLayers)}");
    }

    [Fact]
    public void Starbucks_SumsEveryFixedPairEveryStep_PlusKlPerEarlierLayer()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(3);
        var (a, p) = Layers(g, 4);
        var recorder = new RecordingLoss();
        (int, int)[] pairs = [(1, 2), (2, 4), (3, 6), (4, 8)];
        var loss = new StarbucksLoss(recorder, pairs, [1.0, 2.0, 3.0, 4.0], klDivWeight: 0.5, klTemperature: 0.3);
        for (var step = 0; step < 2; step++)
        {
            recorder.Widths.Clear();
            var value = loss.Compute(a, p).ToDouble();
            Assert.Equal([2L, 4, 6, 8], recorder.Widths);
            var expected = 0.0;
            var final = Stack(a[3], p[3]);
            for (var i = 0; i < pairs.Length; i++)
            {
                var (layer, dim) = pairs[i];
                expected += (i + 1) * RecordingLoss.Value(Reference.Shrink(Reference.Rows(a[layer - 1]), dim), Reference.Shrink(Reference.Rows(p[layer - 1]), dim));
                if (layer < 4) expected += 0.3 * 0.5 * Reference.KlBatchMean(Stack(a[layer - 1], p[layer - 1]), final, 0.3);
            }
            Assert.Equal(expected, value, 1e-9);
        }
    }

    [Fact]
    public void Starbucks_PairBeyondTheModel_AndKlAcrossWidths_AreErrors()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(4);
        var (a, p) = Layers(g, 2);
        var e = Assert.Throws<ArgumentException>(() => new StarbucksLoss(new RecordingLoss(), [(3, 4)]).Compute(a, p));
        Assert.Contains("the model has 2 layers", e.Message, StringComparison.Ordinal);
        Tensor[] narrow = [Tensor.Zeros([4, 4], DType.Float64), a[1]];
        var kl = Assert.Throws<ArgumentException>(() => new StarbucksLoss(new RecordingLoss(), [(1, 4)]).Compute(narrow, narrow));
        Assert.Contains("KL term needs equal widths", kl.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new StarbucksLoss(new RecordingLoss(), [(0, 4)]));
    }

    [Fact]
    public void Gradients_Of2dAndStarbucksWithMnrlAndKl_MatchFiniteDifferences()
    {
        using var g = new Generator(5);
        var leaves = Enumerable.Range(0, 6).Select(_ => FiniteDifferences.Leaf(g, 3, 4)).ToArray();
        try
        {
            Tensor[] a = [leaves[0], leaves[1], leaves[2]];
            Tensor[] p = [leaves[3], leaves[4], leaves[5]];
            // Fresh losses with fixed seeds per evaluation, so every evaluation samples the same layer and dims.
            Func<Tensor>[] losses =
            [
                () => new Matryoshka2dLoss(new MatryoshkaLoss(new MultipleNegativesRankingLoss(), [4, 2], dimsPerStep: 1, seed: 1), seed: 2).Compute(a, p),
                () => new StarbucksLoss(new MultipleNegativesRankingLoss(), [(1, 2), (2, 3), (3, 4)]).Compute(a, p),
            ];
            foreach (var make in losses)
            {
                double Value()
                {
                    using var s = new DisposeScope();
                    return make().ToDouble();
                }
                using (var s = new DisposeScope()) make().Backward();
                for (var i = 0; i < leaves.Length; i++) FiniteDifferences.AssertMatches($"leaf {i}", Value, leaves[i]);
                Autograd.ZeroGrad(leaves);
            }
        }
        finally
        {
            foreach (var t in leaves) t.Dispose();
        }
    }
}
