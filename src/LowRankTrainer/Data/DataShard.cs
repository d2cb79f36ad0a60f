namespace LowRankTrainer.Data;

/// <summary>
/// Which share of every global batch a rank of a data-parallel run takes: rank r of W gets positions
/// [⌊n·r/W⌋, ⌊n·(r+1)/W⌋) of a batch of n samples, so the W shards are disjoint, cover the batch, and differ in size by
/// at most one (B/W each when W divides the batch).
/// </summary>
/// <param name="Rank">This rank, 0 … W − 1.</param>
/// <param name="WorldSize">W, the number of ranks.</param>
public sealed record DataShard(int Rank, int WorldSize)
{
    /// <summary>One process that takes whole batches.</summary>
    public static DataShard Whole { get; } = new(0, 1);

    /// <summary>The positions [from, to) of a batch of <paramref name="batchLength"/> samples that are this rank's.</summary>
    public (long From, long To) Range(long batchLength)
    {
        if (WorldSize < 1 || Rank < 0 || Rank >= WorldSize) throw new ArgumentException($"rank {Rank} is not in a world of {WorldSize}");
        return (batchLength * Rank / WorldSize, batchLength * (Rank + 1) / WorldSize);
    }
}
