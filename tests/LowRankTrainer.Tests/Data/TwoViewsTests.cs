using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data;

/// <summary>The embedding losses' two-view augmentation: a function of (seed, step, micro-batch, view), shift + noise.</summary>
/// <remarks>Serial: <see cref="Make_LeavesNoHandleBehind"/> reads the process-wide <see cref="Tensor.LiveCount"/>.</remarks>
[Collection(DataSerial.Name)]
public class TwoViewsTests
{
    private static Tensor Images(long n = 6)
    {
        using var g = new Generator(11);
        return Tensor.Rand([n, 1, 8, 8], g);
    }

    [Fact]
    public void Views_AreReproducibleFromSeedAndStep_AndDifferAcrossStepsViewsAndSeeds()
    {
        using var scope = new DisposeScope();
        var x = Images();
        var (a1, p1) = TwoViews.Make(x, 7, 3, 0);
        var (a2, p2) = TwoViews.Make(x, 7, 3, 0);
        Assert.True(a1.ValueEquals(a2));
        Assert.True(p1.ValueEquals(p2));
        Assert.False(a1.ValueEquals(p1));
        Assert.False(a1.ValueEquals(TwoViews.Make(x, 7, 4, 0).Anchors));
        Assert.False(a1.ValueEquals(TwoViews.Make(x, 7, 3, 1).Anchors));
        Assert.False(a1.ValueEquals(TwoViews.Make(x, 8, 3, 0).Anchors));
        Assert.Equal(x.Shape, a1.Shape);
        Assert.NotEqual(TwoViews.Seed(7, 3, 0, 0), TwoViews.Seed(7, 3, 0, 1));
        Assert.NotEqual(TwoViews.Seed(7, 3, 0, 0), TwoViews.Seed(7, 3, 1, 0));
        Assert.NotEqual(TwoViews.Seed(7, 3, 0, 0), TwoViews.Seed(7, 4, 0, 0));
    }

    [Fact]
    public void AView_IsEachImageShiftedByAtMostTwoPixels_WithReplicatedBorders_PlusTheSeedsNoise()
    {
        using var scope = new DisposeScope();
        var x = Images(20);
        const ulong seed = 12345;
        var view = TwoViews.Augment(x, seed);
        using var g = new Generator(seed);
        var noise = Tensor.Randn(x.Shape, g) * TwoViews.NoiseStd;
        var shifted = (view - noise).ToArray<float>();
        var source = x.ToArray<float>();
        var shifts = new HashSet<(int, int)>();
        for (var n = 0; n < 20; n++)
        {
            var match = new List<(int Dy, int Dx)>();
            for (var dy = -2; dy <= 2; dy++)
            {
                for (var dx = -2; dx <= 2; dx++)
                {
                    var ok = true;
                    for (var r = 0; r < 8 && ok; r++)
                    {
                        for (var c = 0; c < 8 && ok; c++)
                        {
                            var expected = source[(n * 64) + (Math.Clamp(r - dy, 0, 7) * 8) + Math.Clamp(c - dx, 0, 7)];
                            ok = Math.Abs(shifted[(n * 64) + (r * 8) + c] - expected) < 1e-5;
                        }
                    }
                    if (ok) match.Add((dy, dx));
                }
            }
            Assert.Single(match);
            shifts.Add(match[0]);
        }
        Assert.True(shifts.Count > 3, "the shifts do not vary between images");
        var noiseStd = Math.Sqrt(noise.Square().Mean().ToDouble());
        Assert.InRange(noiseStd, 0.08, 0.12);
    }

    [Fact]
    public void Make_LeavesNoHandleBehind()
    {
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        using (var scope = new DisposeScope())
        {
            _ = TwoViews.Make(Images(), 1, 1, 0);
        }
        DisposeScope.CollectOrphans();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
