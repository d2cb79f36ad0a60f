using System.Text.Json;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data;

public class ShuffledBatchesTests
{
    /// <summary>N samples: inputs row i = [2i, 2i+1], target i = i, so every batch shows where it came from.</summary>
    internal static TensorDataset Dataset(long n)
    {
        using var scope = new DisposeScope();
        using var flat = Tensor.Arange(0L, 2 * n, 1L, DType.Float32);
        return new TensorDataset(flat.Reshape(n, 2), Tensor.Arange(n));
    }

    private static List<long[]> Take(ShuffledBatches loader, int count, List<float[]>? inputs = null)
    {
        var result = new List<long[]>();
        for (var i = 0; i < count; i++)
        {
            using var scope = new DisposeScope();
            var batch = loader.Next();
            var idx = batch.Indices.ToArray<long>();
            Assert.Equal(idx, batch.Targets.ToArray<long>());
            inputs?.Add(batch.Inputs.ToArray<float>());
            result.Add(idx);
        }
        return result;
    }

    // Reference orders from Python with the same libtorch (Debian python3-torch 1.13), /usr/bin/python3:
    //   import torch; M = (1 << 64) - 1
    //   def epoch_seed(seed, epoch):                      # ShuffledBatches.EpochSeed
    //       z = (seed + (epoch + 1) * 0x9E3779B97F4A7C15) & M
    //       z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    //       z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    //       return z ^ (z >> 31)
    //   g = torch.Generator(); g.manual_seed(epoch_seed(42, 0)); torch.randperm(10, generator=g)
    //   -> [9, 0, 4, 1, 5, 3, 6, 8, 7, 2]; epoch 1 -> [3, 5, 6, 2, 1, 0, 8, 7, 9, 4]
    //   randperm(60000) with epoch_seed(42, 0), first 8 -> [22239, 25865, 22686, 23102, 46657, 36324, 3108, 54010]
    [Fact]
    public void Permutation_MatchesTorchRandpermWithTheEpochSeed()
    {
        Assert.Equal(0xE220A8397B1DCDAFUL, ShuffledBatches.EpochSeed(0, 0)); // SplitMix64(0)'s first output
        Assert.Equal(0xBDD732262FEB6E95UL, ShuffledBatches.EpochSeed(42, 0));
        Assert.Equal(0x28EFE333B266F103UL, ShuffledBatches.EpochSeed(42, 1));

        using var scope = new DisposeScope();
        Assert.Equal([9L, 0, 4, 1, 5, 3, 6, 8, 7, 2], ShuffledBatches.Permutation(10, 42, 0).ToArray<long>());
        Assert.Equal([3L, 5, 6, 2, 1, 0, 8, 7, 9, 4], ShuffledBatches.Permutation(10, 42, 1).ToArray<long>());
        Assert.Equal([22239L, 25865, 22686, 23102, 46657, 36324, 3108, 54010],
                     ShuffledBatches.Permutation(60000, 42, 0).Narrow(0, 0, 8).ToArray<long>());
    }

    [Fact]
    public void Next_OneEpoch_VisitsEverySampleExactlyOnce_WithAShortLastBatch()
    {
        using var data = Dataset(103);
        using var loader = new ShuffledBatches(data, 10, seed: 7);
        Assert.Equal(11, loader.BatchesPerEpoch);

        var inputs = new List<float[]>();
        var batches = Take(loader, 11, inputs);

        Assert.Equal(Enumerable.Repeat(10, 10).Append(3), batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 103).Select(i => (long)i), batches.SelectMany(b => b).Order());
        Assert.NotEqual(Enumerable.Range(0, 103).Select(i => (long)i), batches.SelectMany(b => b));
        for (var b = 0; b < batches.Count; b++)
        {
            Assert.Equal(batches[b].SelectMany(i => new[] { 2f * i, 2f * i + 1 }), inputs[b]);
        }
        Assert.Equal(new DataCursor(1, 0, 7) { BatchSize = 10, SampleCount = 103 }, loader.Cursor);
    }

    [Fact]
    public void Next_DropLast_SkipsTheShortBatch()
    {
        using var data = Dataset(103);
        using var loader = new ShuffledBatches(data, 10, seed: 7, dropLast: true);
        Assert.Equal(10, loader.BatchesPerEpoch);

        var epoch0 = Take(loader, 10);

        Assert.All(epoch0, b => Assert.Equal(10, b.Length));
        Assert.Equal(100, epoch0.SelectMany(b => b).Distinct().Count());
        Assert.Equal((1L, 0L), (loader.Epoch, loader.BatchIndex));
        // The same order as without drop_last, minus its tail.
        using var full = new ShuffledBatches(data, 10, seed: 7);
        Assert.Equal(Take(full, 10).SelectMany(b => b), epoch0.SelectMany(b => b));
    }

    [Fact]
    public void Next_DropLastWithTooFewSamples_Throws()
    {
        using var data = Dataset(5);
        Assert.Throws<ArgumentException>(() => new ShuffledBatches(data, 10, seed: 1, dropLast: true));
    }

    [Fact]
    public void Orders_DependOnSeedAndEpoch_AndOnNothingElse()
    {
        using var data = Dataset(50);
        List<long> Epoch(ulong seed, int epoch)
        {
            using var loader = new ShuffledBatches(data, 50, new DataCursor(epoch, 0, seed));
            return Take(loader, 1)[0].ToList();
        }

        Assert.Equal(Epoch(1, 0), Epoch(1, 0));
        Assert.NotEqual(Epoch(1, 0), Epoch(2, 0));
        Assert.NotEqual(Epoch(1, 0), Epoch(1, 1));
        // libtorch's CPU generator keeps only the low 32 bits of a seed; the mixing makes the high bits count.
        Assert.NotEqual(Epoch(1, 0), Epoch(1 + (1UL << 32), 0));
    }

    [Fact]
    public void Next_WithoutShuffle_VisitsSamplesInOrder()
    {
        using var data = Dataset(7);
        using var loader = new ShuffledBatches(data, 3, seed: 1, shuffle: false);
        Assert.Equal([[0L, 1, 2], [3L, 4, 5], [6L], [0L, 1, 2]], Take(loader, 4));
    }

    [Theory]
    [InlineData(15, false)] // in the middle of epoch 1
    [InlineData(11, false)] // exactly at the start of epoch 1
    [InlineData(3, true)]
    [InlineData(10, true)]  // after the last batch of epoch 0 with drop_last
    public void Resume_FromSavedCursorJson_ContinuesWithIdenticalBatches(int stopAfter, bool dropLast)
    {
        using var data = Dataset(103);
        const ulong seed = 1234;
        using var straight = new ShuffledBatches(data, 10, seed, dropLast: dropLast);
        var total = (int)(2 * straight.BatchesPerEpoch);
        var straightInputs = new List<float[]>();
        var expected = Take(straight, total, straightInputs);

        var resumedInputs = new List<float[]>();
        string json;
        List<long[]> first;
        using (var before = new ShuffledBatches(data, 10, seed, dropLast: dropLast))
        {
            first = Take(before, stopAfter, resumedInputs);
            json = before.Cursor.ToJson();
        }
        using var after = new ShuffledBatches(data, 10, DataCursor.FromJson(json), dropLast: dropLast);
        var rest = Take(after, total - stopAfter, resumedInputs);

        Assert.Equal(expected, first.Concat(rest));
        Assert.Equal(straightInputs, resumedInputs);
        Assert.Equal(straight.Cursor, after.Cursor);
    }

    [Fact]
    public void Cursor_Json_IsSnakeCaseAndRoundTrips()
    {
        var cursor = new DataCursor(1, 4, 42) { BatchSize = 10, SampleCount = 103 };
        var json = cursor.ToJson();

        Assert.Equal("""{"epoch":1,"batch_index":4,"seed":42,"batch_size":10,"sample_count":103}""", json);
        Assert.Equal(cursor, DataCursor.FromJson(json));
        Assert.Equal(new DataCursor(2, 0, ulong.MaxValue), DataCursor.FromJson("""{"epoch":2,"batch_index":0,"seed":18446744073709551615}"""));
        Assert.Throws<JsonException>(() => DataCursor.FromJson("""{"epoch":1,"batch_index":0,"seed":1,"shuffle":true}"""));
        Assert.Throws<JsonException>(() => DataCursor.FromJson("""{"epoch":-1,"batch_index":0,"seed":1}"""));
        Assert.Throws<JsonException>(() => DataCursor.FromJson("""{"epoch":1,"seed":1}"""));
        Assert.Throws<JsonException>(() => DataCursor.FromJson("null"));
    }

    [Fact]
    public void Resume_WithAnotherBatchSizeOrDataset_IsRefused()
    {
        using var data = Dataset(103);
        using var other = Dataset(90);
        var cursor = new DataCursor(0, 3, 1) { BatchSize = 10, SampleCount = 103 };

        var e = Assert.Throws<ArgumentException>(() => new ShuffledBatches(data, 20, cursor));
        Assert.Contains("batch size 10", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ShuffledBatches(other, 10, cursor));
        Assert.Throws<ArgumentException>(() => new ShuffledBatches(data, 10, new DataCursor(0, 12, 1)));
    }

    [Fact]
    public void Next_BatchesJoinTheCallersScope()
    {
        using var data = Dataset(20);
        using var loader = new ShuffledBatches(data, 4, seed: 3);
        Batch batch;
        using (new DisposeScope())
        {
            batch = loader.Next();
            Assert.False(batch.Inputs.IsDisposed);
        }
        Assert.True(batch.Inputs.IsDisposed);
        Assert.True(batch.Targets.IsDisposed);
        Assert.True(batch.Indices.IsDisposed);
        Assert.False(data.Inputs.IsDisposed);
        // The cached order survives the scope: the next batch still works.
        using var scope = new DisposeScope();
        var (x, y) = loader.Next();
        Assert.Equal([4L, 2], x.Shape);
        Assert.Equal([4L], y.Shape);
    }

    [Fact]
    public void RemainingInEpoch_YieldsTheRestOfTheEpoch()
    {
        using var data = Dataset(10);
        using var loader = new ShuffledBatches(data, 3, seed: 5);
        using var scope = new DisposeScope();
        loader.Next();

        var rest = loader.RemainingInEpoch().Select(b => (b.Epoch, b.BatchIndex, b.Size)).ToList();

        Assert.Equal([(0L, 1L, 3L), (0L, 2L, 3L), (0L, 3L, 1L)], rest);
        Assert.Equal(4, loader.RemainingInEpoch().Count());
    }
}
