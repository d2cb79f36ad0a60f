using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Data;

/// <summary><c>data.transform: permute_pixels</c>: the permutation itself, where a pixel goes, and the loaded splits.</summary>
public class PixelPermutationTests
{
    private const int Pixels = 28 * 28;

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Create_IsABijectionOfEveryPosition_AndNotTheIdentity(int seed)
    {
        var p = PixelPermutation.Create(Pixels, seed);
        Assert.Equal(Enumerable.Range(0, Pixels).Select(i => (long)i), p.Order());
        // A uniform permutation of 784 fixes about one position on average; the identity would mean no shuffle at all.
        Assert.True(p.Where((to, i) => to != i).Count() > Pixels - 10);
    }

    // Reference values from an independent Python transcription of the documented algorithm (SplitMix64 seeded with
    // the seed as a two's-complement uint64, Durstenfeld's Fisher–Yates from the last position down, a draw j in [0, i]
    // by rejecting the top 2^64 mod (i+1) values and taking x mod (i+1)):
    //   M = 2**64 - 1; state = seed & M; next: state += 0x9E3779B97F4A7C15; z = state; z = (z^(z>>30))*0xBF58476D1CE4E5B9 & M;
    //   z = (z^(z>>27))*0x94D049BB133111EB & M; return z^(z>>31)
    // so a seed gives the same permutation on every machine and .NET version.
    [Theory]
    [InlineData(0, new long[] { 484, 411, 326, 479, 169, 18, 364, 604 }, new long[] { 14, 349, 351, 751 })]
    [InlineData(7, new long[] { 208, 74, 594, 543, 308, 612, 617, 290 }, new long[] { 77, 250, 780, 695 })]
    [InlineData(-1, new long[] { 68, 16, 65, 152, 545, 561, 736, 98 }, new long[] { 173, 435, 303, 224 })]
    public void Create_MatchesTheReferenceTranscription(int seed, long[] first, long[] last)
    {
        var p = PixelPermutation.Create(Pixels, seed);
        Assert.Equal(first, p[..8]);
        Assert.Equal(last, p[^4..]);
        Assert.Equal([2L, 4, 0, 1, 3], PixelPermutation.Create(5, 3));
    }

    [Fact]
    public void Create_SameSeedSamePermutation_OtherSeedAnother()
    {
        Assert.Equal(PixelPermutation.Create(Pixels, 3), PixelPermutation.Create(Pixels, 3));
        Assert.NotEqual(PixelPermutation.Create(Pixels, 3), PixelPermutation.Create(Pixels, 4));
    }

    [Fact]
    public void Apply_HandBuiltImages_EachPixelMovesWhereThePermutationSays()
    {
        // Two 1×2×2 images with pixels 10, 20, 30, 40 and 1, 2, 3, 4; π = [2, 0, 3, 1]: pixel 0 → position 2,
        // pixel 1 → 0, pixel 2 → 3, pixel 3 → 1, so the output reads (pixel 1, pixel 3, pixel 0, pixel 2).
        using var scope = new DisposeScope();
        var images = Tensor.From<float>([10, 20, 30, 40, 1, 2, 3, 4], [2, 1, 2, 2]);
        var permuted = PixelPermutation.Apply(images, [2, 0, 3, 1]);
        Assert.Equal([2L, 1, 2, 2], permuted.Shape);
        Assert.Equal([20f, 40f, 10f, 30f, 2f, 4f, 1f, 3f], permuted.ToArray<float>());
        Assert.Equal([10f, 20f, 30f, 40f, 1f, 2f, 3f, 4f], images.ToArray<float>());   // the source is untouched
        Assert.Equal([1L, 3, 0, 2], PixelPermutation.Inverse([2, 0, 3, 1]));
    }

    [Fact]
    public void Apply_Dataset_KeepsTargetsAndNames_AndTheSourceStaysUsable()
    {
        using var source = new TensorDataset(Tensor.From<float>([1, 2, 3, 4, 5, 6], [2, 3]), Tensor.From<long>([1, 0], [2]), ["a", "b"]);
        using var permuted = PixelPermutation.Apply(source, [1, 2, 0]);
        Assert.Equal([3f, 1f, 2f, 6f, 4f, 5f], permuted.Inputs.ToArray<float>());
        Assert.Equal([1L, 0], permuted.Targets.ToArray<long>());
        Assert.Equal(["a", "b"], permuted.ClassNames);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], source.Inputs.ToArray<float>());
    }

    [Fact]
    public void Apply_Refuses_AWrongPixelCount_OrANonPermutation()
    {
        using var scope = new DisposeScope();
        var images = Tensor.Zeros([2, 1, 2, 2]);
        var e = Assert.Throws<ArgumentException>(() => PixelPermutation.Apply(images, [0, 1, 2]));
        Assert.Contains("4 pixels per sample (1×2×2), the permutation 3", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => PixelPermutation.Apply(images, [0, 1, 1, 3]));
        Assert.Contains("not a permutation of 0–3: entry 2 is 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PixelPermutation.Apply(images, [0, 1, 2, 4]));
    }

    [Fact]
    public void Load_PermutesTrainAndEvalWithTheSamePermutation_ComposedWithClassesAndMaxSamples()
    {
        var plainConfig = new DataConfig { Classes = [7, 2], MaxSamples = 300 };
        var config = plainConfig with { Transform = "permute_pixels", TransformSeed = 5 };
        var loss = new LossConfig();
        using var plain = TrainingData.Load(plainConfig, loss);
        using var permuted = TrainingData.Load(config, loss);
        using var again = TrainingData.Load(config, loss);
        using var other = TrainingData.Load(config with { TransformSeed = 6 }, loss);
        var p = PixelPermutation.Create(Pixels, 5);

        Assert.Equal(300, permuted.Train.Count);
        Assert.Equal(2000, permuted.Eval!.Count);
        Assert.Equal(plain.Train.Targets.ToArray<long>(), permuted.Train.Targets.ToArray<long>());
        Assert.Equal(plain.Eval!.Targets.ToArray<long>(), permuted.Eval.Targets.ToArray<long>());
        foreach (var (before, after) in new[] { (plain.Train, permuted.Train), (plain.Eval, permuted.Eval) })
        {
            Assert.Equal(before.Inputs.Shape, after.Inputs.Shape);
            // Every pixel i of every image is at position π(i) — checked element by element, not through Apply.
            var x = before.Inputs.ToArray<float>();
            var y = after.Inputs.ToArray<float>();
            for (var n = 0; n < before.Count; n += 97)
            {
                for (var i = 0; i < Pixels; i++) Assert.Equal(x[(n * Pixels) + i], y[(n * Pixels) + p[i]]);
            }
            // Nothing was lost or added: each image holds the same multiset of pixel values.
            Assert.Equal(x.Take(Pixels).Order(), y.Take(Pixels).Order());
        }
        Assert.True(again.Train.Inputs.ValueEquals(permuted.Train.Inputs));
        Assert.True(again.Eval!.Inputs.ValueEquals(permuted.Eval.Inputs));
        Assert.False(other.Train.Inputs.ValueEquals(permuted.Train.Inputs));
    }
}
