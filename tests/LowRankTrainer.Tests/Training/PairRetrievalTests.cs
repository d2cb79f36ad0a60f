using LowRankTrainer.Tests.Losses;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>Top-1 pair retrieval (<see cref="PairRetrieval"/>) against hand-computed cosines and a plain reimplementation.</summary>
public class PairRetrievalTests
{
    [Fact]
    public void FourPairs_HandComputed_ThreeHits()
    {
        using var scope = new DisposeScope();
        // cos(a_i, p_j), rows i, columns j, with p0 = (1, 0.1), p1 = (0.2, 1), p2 = (1, −1), p3 = (−1, −1):
        //   a0 = (1, 0):   0.995  0.196  0.707 −0.707  → p0, a hit
        //   a1 = (0, 1):   0.100  0.981 −0.707 −0.707  → p1, a hit
        //   a2 = (5, 5):   0.774  0.832  0.000 −1.000  → p1, a miss (its own is p2)
        //   a3 = (−1, 0): −0.995 −0.196 −0.707  0.707  → p3, a hit
        var anchors = Tensor.From<float>([1, 0, 0, 1, 5, 5, -1, 0], [4, 2]);
        var positives = Tensor.From<float>([1, 0.1f, 0.2f, 1, 1, -1, -1, -1], [4, 2]);
        Assert.Equal(3, PairRetrieval.Hits(anchors, positives));
        Assert.Equal(0.75, PairRetrieval.Accuracy(anchors, positives));
        // Among the first three pairs only, a2 still prefers p1.
        Assert.Equal(2, PairRetrieval.Hits(anchors.Narrow(0, 0, 3), positives.Narrow(0, 0, 3)));
    }

    [Fact]
    public void Ties_GoToTheLowestIndex()
    {
        using var scope = new DisposeScope();
        var anchors = Tensor.From<float>([1, 0, 1, 0], [2, 2]);
        var positives = Tensor.From<float>([2, 0, 3, 0], [2, 2]);
        // Both anchors are equally close to both positives: p0 wins both, so only a0 is a hit.
        Assert.Equal(1, PairRetrieval.Hits(anchors, positives));
    }

    [Fact]
    public void MoreThanOneBlock_MatchesAPlainReimplementation()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(11);
        var m = PairRetrieval.BlockRows + 300;
        var anchors = Tensor.Randn([m, 8], g);
        var positives = anchors + (Tensor.Randn([m, 8], g) * 0.8);
        var a = Reference.Rows(anchors).Select(Reference.Normalize).ToArray();
        var p = Reference.Rows(positives).Select(Reference.Normalize).ToArray();
        long expected = 0;
        for (var i = 0; i < m; i++)
        {
            var best = 0;
            var bestScore = double.NegativeInfinity;
            for (var j = 0; j < m; j++)
            {
                var score = a[i].Zip(p[j]).Sum(x => x.First * x.Second);
                if (score > bestScore) (best, bestScore) = (j, score);
            }
            if (best == i) expected++;
        }
        Assert.InRange(expected, 1, m - 1);
        Assert.Equal(expected, PairRetrieval.Hits(anchors, positives));
    }

    [Fact]
    public void MismatchedShapes_AreRefused()
    {
        using var scope = new DisposeScope();
        var e = Assert.Throws<ArgumentException>(() => PairRetrieval.Hits(Tensor.Zeros([3, 2]), Tensor.Zeros([4, 2])));
        Assert.Contains("[3, 2] and [4, 2]", e.Message, StringComparison.Ordinal);
    }
}
