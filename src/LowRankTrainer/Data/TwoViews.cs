using LowRankTrainer.Torch;

namespace LowRankTrainer.Data;

/// <summary>
/// The two augmented views (anchor, positive) of each image that the contrastive embedding losses train on
/// (SimCLR-style positives, Chen et al. 2020, reduced to two cheap tensor ops): every view shifts each image
/// by a random (dy, dx) ∈ [−<see cref="MaxShift"/>, <see cref="MaxShift"/>]² pixels, replicating the border
/// (a gather with clamped indices), then adds Gaussian pixel noise N(0, <see cref="NoiseStd"/>²).
/// </summary>
/// <remarks>
/// <para>Everything a view draws comes from <see cref="Seed"/>(train seed, step, micro-batch, view) alone — the
/// shifts from a <see cref="Random"/>, the noise from a fresh libtorch <see cref="Generator"/> — so a step's views
/// are a pure function of the run's seed and the step: a resumed run draws what the straight run drew, with no
/// augmentation state in the checkpoint. Inputs [N, C, H, W] (or [N, H, W]) are shifted and noised; other
/// shapes (tabular rows) get the noise only.</para>
/// </remarks>
public static class TwoViews
{
    /// <summary>The largest shift, in pixels, along each axis.</summary>
    public const int MaxShift = 2;

    /// <summary>Standard deviation of the added pixel noise (in the inputs' units).</summary>
    public const double NoiseStd = 0.1;

    /// <summary>The two views of <paramref name="images"/> for one training micro-batch.</summary>
    public static (Tensor Anchors, Tensor Positives) Make(Tensor images, int seed, long step, int micro)
    {
        ArgumentNullException.ThrowIfNull(images);
        return (Augment(images, Seed(seed, step, micro, 0)), Augment(images, Seed(seed, step, micro, 1)));
    }

    /// <summary>One augmented view of <paramref name="images"/> drawn from <paramref name="seed"/>.</summary>
    public static Tensor Augment(Tensor images, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        var x = images.Rank == 3 ? images.Unsqueeze(1) : images;
        var shifted = x.Rank == 4 ? Shift(x, new Random(unchecked((int)seed ^ (int)(seed >> 32)))) : x;
        using var g = new Generator(seed);
        var noise = Tensor.Randn(shifted.Shape, g, shifted.DType, shifted.Device);
        var view = shifted + noise * NoiseStd;
        return images.Rank == 3 ? view.Squeeze(1) : view;
    }

    /// <summary>
    /// The seed of view <paramref name="view"/> of micro-batch <paramref name="micro"/> at <paramref name="step"/>:
    /// SplitMix64's finaliser over the four numbers combined, so neighbouring steps and seeds give unrelated streams.
    /// </summary>
    public static ulong Seed(int seed, long step, int micro, int view)
    {
        unchecked
        {
            var z = (ulong)seed * 0x9E3779B97F4A7C15UL;
            z = Mix(z ^ (ulong)step);
            z = Mix(z ^ ((ulong)micro << 32) ^ (ulong)(uint)view);
            return z;
        }
    }

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    // Per-sample translation: output pixel (r, c) reads input (clamp(r − dy), clamp(c − dx)) of the same sample.
    private static Tensor Shift(Tensor x, Random random)
    {
        long n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        var index = new long[n * h * w];
        for (long i = 0; i < n; i++)
        {
            var dy = random.Next(-MaxShift, MaxShift + 1);
            var dx = random.Next(-MaxShift, MaxShift + 1);
            var offset = i * h * w;
            for (long r = 0; r < h; r++)
            {
                var sr = Math.Clamp(r - dy, 0, h - 1);
                for (long col = 0; col < w; col++)
                {
                    index[offset + (r * w) + col] = (sr * w) + Math.Clamp(col - dx, 0, w - 1);
                }
            }
        }
        var gather = Tensor.From<long>(index, [n, 1, h * w], x.Device).Expand([n, c, h * w]);
        return x.Flatten(2).Gather(2, gather).Reshape([n, c, h, w]);
    }
}
