namespace LowRankTrainer.Losses;

/// <summary>
/// The nesting sizes one training step uses when <c>loss.matryoshka.dims_per_step</c> k ≠ −1: k distinct indices
/// out of n, drawn by a partial Fisher–Yates shuffle from a <see cref="Random"/> seeded by (seed, step) alone, so
/// the draw is reproducible from <c>train.seed</c> and survives a resume without saved sampler state.
/// </summary>
public static class NestingSampler
{
    /// <summary>The indices for <paramref name="step"/>, ascending: all n when k is −1 or ≥ n.</summary>
    public static int[] Indices(int count, int perStep, int seed, long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var all = Enumerable.Range(0, count).ToArray();
        if (perStep < 0 || perStep >= count) return all;
        ArgumentOutOfRangeException.ThrowIfZero(perStep);
        var random = new Random(unchecked((int)((seed * 1_000_003L) ^ (step * 0x9E3779B1L))));
        for (var i = 0; i < perStep; i++)
        {
            var j = random.Next(i, count);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return [.. all.Take(perStep).Order()];
    }
}
