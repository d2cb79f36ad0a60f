using LowRankTrainer.Torch;

namespace LowRankTrainer.Data;

/// <summary>
/// <c>data.transform: permute_pixels</c>, the "permuted MNIST" task (Goodfellow, Mirza, Xiao, Courville and Bengio,
/// "An Empirical Investigation of Catastrophic Forgetting in Gradient-Based Neural Networks", 2013; Kirkpatrick et
/// al. 2017): one fixed random permutation π of the pixel positions, applied to every image of both splits. Pixel i
/// of the flattened image moves to position π(i): <c>permuted[π(i)] = image[i]</c>.
/// </summary>
/// <remarks>
/// <para>Why it is a useful shift: an MLP trained from scratch sees the same task either way (its first layer is
/// just relabelled), but a model pretrained on the original images must rewrite its first layer almost entirely —
/// the needed update W₁' = W₁·Π⁻¹ is far from W₁ in every direction, a high-rank change (METHODS.md §9 items 4–5).</para>
/// <para>π is a Fisher–Yates shuffle driven by SplitMix64 (Steele, Lea and Flood 2014) seeded with
/// <c>data.transform_seed</c>, with unbiased bounded draws by rejection — our own generator rather than
/// <see cref="Random"/> (whose seeded sequence is an implementation detail) or libtorch's <c>randperm</c> (which
/// differs between libtorch versions), so a seed gives the same permutation on every machine and version.</para>
/// </remarks>
public static class PixelPermutation
{
    /// <summary>
    /// The permutation of <paramref name="pixels"/> positions drawn from <paramref name="seed"/>: entry i is the
    /// position pixel i moves to.
    /// </summary>
    /// <param name="pixels">The number of pixel positions (784 for 28×28 grey-scale images).</param>
    /// <param name="seed">Any integer; another seed gives an unrelated permutation.</param>
    public static long[] Create(int pixels, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pixels, 1);
        var permutation = new long[pixels];
        for (var i = 0; i < pixels; i++) permutation[i] = i;
        var state = unchecked((ulong)(long)seed);
        // Fisher–Yates (Durstenfeld's form): position i swaps with a uniform j in [0, i].
        for (var i = pixels - 1; i > 0; i--)
        {
            var j = (long)Below((ulong)i + 1, ref state);
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
        return permutation;
    }

    /// <summary>
    /// A new dataset (the source is untouched and still owned by the caller) whose inputs are the source's images
    /// with pixel i of each moved to position <paramref name="permutation"/>[i]; targets and class names are copied.
    /// </summary>
    /// <exception cref="ArgumentException">The images do not have as many pixels per sample as the permutation has
    /// entries, or <paramref name="permutation"/> is not a permutation.</exception>
    public static TensorDataset Apply(TensorDataset source, IReadOnlyList<long> permutation)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var _ = DisposeScope.Suspend();   // long-lived: joins no scope the caller may have open
        var inputs = Apply(source.Inputs, permutation);
        try
        {
            return new TensorDataset(inputs, source.Targets.Clone(), source.ClassNames);
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="images"/> [N, …] with every sample's flattened pixels permuted: output position
    /// <paramref name="permutation"/>[i] holds input pixel i; the shape is kept. The result joins the caller's scope, like any op's.
    /// </summary>
    /// <exception cref="ArgumentException">The pixel count per sample is not the permutation's length, or
    /// <paramref name="permutation"/> is not a permutation.</exception>
    public static Tensor Apply(Tensor images, IReadOnlyList<long> permutation)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(permutation);
        if (images.Rank < 2) throw new ArgumentException($"permute_pixels needs images [N, …], got rank {images.Rank}", nameof(images));
        var pixels = images.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (pixels != permutation.Count)
        {
            throw new ArgumentException($"permute_pixels: the images have {pixels} pixels per sample ({string.Join('×', images.Shape.Skip(1))}), the permutation {permutation.Count}", nameof(images));
        }
        // Output position k reads input pixel π⁻¹(k): a gather along the pixel axis with the inverse.
        var inverse = Inverse(permutation);
        using var scope = new DisposeScope();
        var index = Tensor.From<long>(inverse, [inverse.Length], images.Device);
        return images.Flatten(1).IndexSelect(1, index).Reshape(images.Shape).MoveToOuterScope();
    }

    /// <summary>π⁻¹, with π⁻¹[π[i]] = i.</summary>
    /// <exception cref="ArgumentException"><paramref name="permutation"/> repeats or misses a position.</exception>
    public static long[] Inverse(IReadOnlyList<long> permutation)
    {
        ArgumentNullException.ThrowIfNull(permutation);
        var inverse = new long[permutation.Count];
        Array.Fill(inverse, -1);
        for (var i = 0; i < permutation.Count; i++)
        {
            var to = permutation[i];
            if (to < 0 || to >= permutation.Count || inverse[to] >= 0)
            {
                throw new ArgumentException($"not a permutation of 0–{permutation.Count - 1}: entry {i} is {to}", nameof(permutation));
            }
            inverse[to] = i;
        }
        return inverse;
    }

    // A uniform draw from [0, n): reject the top 2⁶⁴ mod n values so every residue is equally likely.
    private static ulong Below(ulong n, ref ulong state)
    {
        var reject = ((ulong.MaxValue % n) + 1) % n;   // 2⁶⁴ mod n
        while (true)
        {
            var x = Next(ref state);
            if (x <= ulong.MaxValue - reject) return x % n;
        }
    }

    // SplitMix64: a Weyl sequence through a 64-bit finaliser.
    private static ulong Next(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
