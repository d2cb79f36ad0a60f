using LowRankTrainer.Torch;

namespace LowRankTrainer.Losses;

/// <summary>
/// sentence-transformers' <c>MatryoshkaLoss</c> (after Kusupati et al. 2022): a wrapper that applies any
/// <see cref="IEmbeddingLoss"/> at several embedding sizes, L = Σ_{d∈S} w_d · base(shrink(a, d), shrink(p, d)),
/// where shrink keeps the first d coordinates and L2-normalises them (<see cref="EmbeddingOps.Shrink"/>).
/// </summary>
/// <remarks>
/// <para>Dims and weights are sorted by dim, descending (weights travel with their dims). Weights default to 1.</para>
/// <para><c>dims_per_step</c> k: −1 (or k ≥ |dims|) uses every dim each call; otherwise k distinct dims are
/// sampled without replacement per call (Python's <c>random.sample</c> role) from a <see cref="Random"/> seeded
/// once, so a seed reproduces the sequence of draws, and the chosen indices are visited in the sorted order.</para>
/// <para>The embeddings are computed once by the caller and passed in; each dim truncates that one tensor, so
/// the model runs a single forward per step however many dims are used.</para>
/// </remarks>
public sealed class MatryoshkaLoss
{
    private readonly IEmbeddingLoss _baseLoss;
    private readonly int[] _dims;
    private readonly double[] _weights;
    private readonly Random _random;

    /// <summary>Creates the wrapper.</summary>
    /// <param name="baseLoss">The wrapped loss.</param>
    /// <param name="dims">The embedding sizes (distinct, &gt; 0; each must be ≤ the embedding size at call time).</param>
    /// <param name="weights">w_d per dim in the given order (null: all 1); same length as <paramref name="dims"/>.</param>
    /// <param name="dimsPerStep">−1 for all dims each call, else k ≥ 1 sampled dims.</param>
    /// <param name="seed">Seed of the per-call dim sampling.</param>
    public MatryoshkaLoss(IEmbeddingLoss baseLoss, IReadOnlyList<int> dims, IReadOnlyList<double>? weights = null, int dimsPerStep = -1, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(baseLoss);
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Count == 0) throw new ArgumentException("matryoshka dims: at least one dim is needed", nameof(dims));
        if (dims.Any(d => d <= 0)) throw new ArgumentException($"matryoshka dims must be > 0, got [{string.Join(", ", dims)}]", nameof(dims));
        if (dims.Distinct().Count() != dims.Count) throw new ArgumentException($"matryoshka dims must be distinct, got [{string.Join(", ", dims)}]", nameof(dims));
        weights ??= [.. dims.Select(_ => 1.0)];
        if (weights.Count != dims.Count) throw new ArgumentException($"matryoshka weights: {weights.Count} weights for {dims.Count} dims", nameof(weights));
        if (dimsPerStep == 0 || dimsPerStep < -1) throw new ArgumentException($"dims_per_step must be -1 (all) or >= 1, got {dimsPerStep}", nameof(dimsPerStep));
        var sorted = dims.Zip(weights).OrderByDescending(p => p.First).ToArray();
        _dims = [.. sorted.Select(p => p.First)];
        _weights = [.. sorted.Select(p => p.Second)];
        _baseLoss = baseLoss;
        DimsPerStep = dimsPerStep;
        _random = new Random(seed);
    }

    /// <summary>The dims, descending.</summary>
    public IReadOnlyList<int> Dims => _dims;

    /// <summary>The weights, in <see cref="Dims"/>' order.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>−1 or the number of dims sampled per call.</summary>
    public int DimsPerStep { get; }

    /// <summary>
    /// Draws the dim indices (into <see cref="Dims"/>) for one call, ascending: all of them, or
    /// <see cref="DimsPerStep"/> distinct ones from the seeded sampler (a partial Fisher–Yates shuffle).
    /// </summary>
    public int[] SampleIndices()
    {
        var all = Enumerable.Range(0, _dims.Length).ToArray();
        if (DimsPerStep < 0 || DimsPerStep >= all.Length) return all;
        for (var i = 0; i < DimsPerStep; i++)
        {
            var j = _random.Next(i, all.Length);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return [.. all.Take(DimsPerStep).Order()];
    }

    /// <summary>Σ over this call's dims of w_d · base(shrink(anchors, d), shrink(positives, d)).</summary>
    public Tensor Compute(Tensor anchors, Tensor positives) => Compute(anchors, positives, SampleIndices());

    /// <summary>The same sum over the given dim indices (into <see cref="Dims"/>), without sampling.</summary>
    public Tensor Compute(Tensor anchors, Tensor positives, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(indices);
        Tensor? total = null;
        foreach (var i in indices)
        {
            var term = _baseLoss.Compute(EmbeddingOps.Shrink(anchors, _dims[i]), EmbeddingOps.Shrink(positives, _dims[i])) * _weights[i];
            total = total is null ? term : total + term;
        }
        return total ?? throw new ArgumentException("no dims selected", nameof(indices));
    }
}
