using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data;

/// <summary>The data-parallel sampler: each rank's shard of every global batch (<see cref="DataShard"/>).</summary>
public class DataShardTests
{
    private static TensorDataset Dataset(long n) => ShuffledBatchesTests.Dataset(n);

    [Theory]
    [InlineData(2, 16, 249, false)] // last batch 9: shards 4 and 5
    [InlineData(3, 12, 100, false)] // last batch 4: shards 1, 1, 2
    [InlineData(4, 8, 37, false)]   // last batch 5: shards 1, 1, 1, 2
    [InlineData(4, 8, 33, false)]   // last batch 1: three empty shards
    [InlineData(3, 12, 100, true)]
    public void TheRanksShards_AreDisjoint_CoverEachGlobalBatch_AndMatchOneProcess(int world, int globalBatch, int n, bool dropLast)
    {
        using var data = Dataset(n);
        using var single = new ShuffledBatches(data, globalBatch, seed: 5, dropLast: dropLast);
        var loaders = Enumerable.Range(0, world).Select(r => new ShuffledBatches(data, globalBatch, new DataCursor(0, 0, 5), dropLast: dropLast, shard: new DataShard(r, world))).ToList();
        try
        {
            for (var b = 0; b < 2 * single.BatchesPerEpoch + 1; b++) // across two epoch ends
            {
                using var scope = new DisposeScope();
                var whole = single.Next();
                var shards = loaders.Select(l => l.Next()).ToList();
                var joined = shards.SelectMany(s => s.Indices.ToArray<long>()).ToArray();
                Assert.Equal(whole.Indices.ToArray<long>(), joined); // disjoint, in order, covering the batch
                Assert.All(shards, s => Assert.Equal(whole.Size, s.GlobalSize));
                Assert.All(shards, s => Assert.Equal((whole.Epoch, whole.BatchIndex), (s.Epoch, s.BatchIndex)));
                var sizes = shards.Select(s => s.Size).ToList();
                Assert.True(sizes.Max() - sizes.Min() <= 1, $"batch {b}: shard sizes {string.Join(", ", sizes)}");
                // With every sample's loss 1, each non-empty shard's mean is 1 and the ranks' average of the scaled means,
                // Σ_r (n_r·W/N) / W, must be the batch mean, 1 (an empty shard computes nothing).
                Assert.Equal(1.0, shards.Where(s => s.Size > 0).Sum(s => s.LossScale(world)) / world, 12);
            }
            Assert.All(loaders, l => Assert.Equal(single.Cursor.ToJson(), l.Cursor.ToJson()));
        }
        finally
        {
            loaders.ForEach(l => l.Dispose());
        }
    }

    [Fact]
    public void FullBatches_HaveLossScaleExactlyOne()
    {
        using var data = Dataset(64);
        using var loader = new ShuffledBatches(data, 16, new DataCursor(0, 0, 1), shard: new DataShard(1, 2));
        using var scope = new DisposeScope();
        var batch = loader.Next();
        Assert.Equal((8L, 16L), (batch.Size, batch.GlobalSize));
        Assert.Equal(1.0, batch.LossScale(2));
    }

    [Fact]
    public void AShardOutsideTheWorld_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataShard(2, 2).Range(10));
        Assert.Equal("rank 2 is not in a world of 2", e.Message);
    }
}
