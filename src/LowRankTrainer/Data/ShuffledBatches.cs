using LowRankTrainer.Torch;

namespace LowRankTrainer.Data;

/// <summary>One mini-batch: inputs and targets gathered from a dataset, and the sample indices they came from.</summary>
/// <param name="Inputs">Inputs of the batch's samples, <c>[B, ...]</c>.</param>
/// <param name="Targets">Targets of the batch's samples, <c>[B, ...]</c>.</param>
/// <param name="Indices">The dataset indices of the samples (int64 <c>[B]</c>, on the data's device).</param>
/// <param name="Epoch">The epoch the batch belongs to.</param>
/// <param name="BatchIndex">Its index within the epoch.</param>
public sealed record Batch(Tensor Inputs, Tensor Targets, Tensor Indices, long Epoch, long BatchIndex)
{
    /// <summary>Number of samples in the batch.</summary>
    public long Size => Indices.Size(0);

    /// <summary>
    /// The samples of the global batch this one is a shard of (<see cref="DataShard"/>): across all ranks; equal to
    /// <see cref="Size"/> without sharding.
    /// </summary>
    public long GlobalSize
    {
        get => _globalSize ?? Size;
        init => _globalSize = value;
    }

    private readonly long? _globalSize;

    /// <summary>
    /// n_r · W / N for this shard of n_r of the global batch's N samples: what its mean loss L_r is multiplied by so that
    /// the W ranks' average gradient is that of the global batch's mean loss, Σ_r n_r·L_r / N. Exactly 1 without
    /// sharding and whenever the shards are equal, so those runs compute what they would unscaled.
    /// </summary>
    public double LossScale(int worldSize) => Size * worldSize == GlobalSize ? 1.0 : (double)(Size * worldSize) / GlobalSize;

    /// <summary>Deconstructs into <c>(inputs, targets)</c>, the common case: <c>var (x, y) = loader.Next();</c>.</summary>
    public void Deconstruct(out Tensor inputs, out Tensor targets)
    {
        inputs = Inputs;
        targets = Targets;
    }
}

/// <summary>
/// Seeded, resumable mini-batches over a <see cref="TensorDataset"/> (PyTorch's
/// <c>DataLoader(dataset, batch_size, shuffle=True, drop_last=...)</c> with an explicit generator).
/// </summary>
/// <remarks>
/// <para>Epoch <c>e</c> visits the samples in the order <c>torch.randperm(N, generator=g)</c> with
/// <c>g</c> seeded by <see cref="EpochSeed"/>(seed, e), so the order is a pure function of
/// (seed, epoch, N): no state carries over between epochs, and the <see cref="Cursor"/> (epoch,
/// batch index, seed) is all it takes to continue exactly where a run stopped. Batch <c>b</c> holds
/// positions <c>[b·B, min((b+1)·B, N))</c> of that order; with <c>dropLast</c> the final short batch
/// is skipped. The permutation is computed on the CPU (libtorch's CPU generator), then moved to the
/// data's device; the order is reproducible for a given libtorch build.</para>
/// <para>Data parallelism (<see cref="DataShard"/>): with W ranks, B is the global batch; every rank computes the same
/// order and rank r takes positions <c>[⌊n·r/W⌋, ⌊n·(r+1)/W⌋)</c> of each global batch of n samples (B/W each for a
/// full batch; a short last batch is split as evenly as it goes, a shard may be empty). The shards are disjoint and
/// cover the batch, so W ranks see exactly the samples one process with batch size B would, and the cursor, kept in
/// global batches, resumes under any W (PyTorch's DistributedSampler instead pads the epoch to a multiple of W by
/// repeating samples).</para>
/// <para>Batches are gathered with <c>index_select</c> and created in whatever
/// <see cref="DisposeScope"/> is current when <see cref="Next"/> runs — open the step's scope first,
/// then take the batch. The per-epoch permutation is owned by the iterator (dispose it).</para>
/// </remarks>
public sealed class ShuffledBatches : IDisposable
{
    private readonly TensorDataset _data;
    private Tensor? _order;
    private long _orderEpoch = -1;

    /// <summary>Starts at epoch 0, batch 0.</summary>
    /// <param name="data">The samples (not owned: dispose it separately).</param>
    /// <param name="batchSize">Samples per batch B.</param>
    /// <param name="seed">The data seed every epoch's order derives from.</param>
    /// <param name="shuffle">False visits the samples in dataset order every epoch.</param>
    /// <param name="dropLast">Skip the last batch of an epoch when it holds fewer than B samples.</param>
    public ShuffledBatches(TensorDataset data, int batchSize, ulong seed, bool shuffle = true, bool dropLast = false)
        : this(data, batchSize, new DataCursor(0, 0, seed), shuffle, dropLast)
    {
    }

    /// <summary>Resumes from a saved cursor: the next batch is exactly the one the saving iterator would have produced.</summary>
    /// <exception cref="ArgumentException">The cursor was taken with another batch size or dataset size, or points past the epoch's end.</exception>
    /// <param name="data">The samples (not owned).</param>
    /// <param name="batchSize">Samples per (global) batch B.</param>
    /// <param name="cursor">Where to continue.</param>
    /// <param name="shuffle">False visits the samples in dataset order every epoch.</param>
    /// <param name="dropLast">Skip the last batch of an epoch when it holds fewer than B samples.</param>
    /// <param name="shard">This rank's share of every batch; null: whole batches.</param>
    public ShuffledBatches(TensorDataset data, int batchSize, DataCursor cursor, bool shuffle = true, bool dropLast = false, DataShard? shard = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(cursor);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _data = data;
        Shard = shard ?? DataShard.Whole;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Seed = cursor.Seed;
        var n = data.Count;
        BatchesPerEpoch = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        if (BatchesPerEpoch == 0)
        {
            throw new ArgumentException(dropLast
                ? $"the dataset holds {n} samples, fewer than one batch of {batchSize} (drop_last leaves no batch)"
                : "the dataset is empty");
        }
        if (cursor.BatchSize is { } b && b != batchSize)
        {
            throw new ArgumentException($"the data cursor was saved with batch size {b}, not {batchSize}: resuming would visit other samples");
        }
        if (cursor.SampleCount is { } c && c != n)
        {
            throw new ArgumentException($"the data cursor was saved over {c} samples, this dataset holds {n}");
        }
        if (cursor.Epoch < 0 || cursor.BatchIndex < 0 || cursor.BatchIndex > BatchesPerEpoch)
        {
            throw new ArgumentException($"the data cursor (epoch {cursor.Epoch}, batch {cursor.BatchIndex}) is outside an epoch of {BatchesPerEpoch} batches");
        }
        (Epoch, BatchIndex) = cursor.BatchIndex == BatchesPerEpoch ? (cursor.Epoch + 1, 0L) : (cursor.Epoch, cursor.BatchIndex);
    }

    /// <summary>Samples per batch (the global batch, across all ranks, with a <see cref="Shard"/>).</summary>
    public int BatchSize { get; }

    /// <summary>The share of every batch <see cref="Next"/> returns.</summary>
    public DataShard Shard { get; }

    /// <summary>Whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a short final batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The data seed.</summary>
    public ulong Seed { get; }

    /// <summary>Batches in every epoch: ⌊N/B⌋ with drop-last, ⌈N/B⌉ without.</summary>
    public long BatchesPerEpoch { get; }

    /// <summary>The epoch of the next batch.</summary>
    public long Epoch { get; private set; }

    /// <summary>The index of the next batch within <see cref="Epoch"/>.</summary>
    public long BatchIndex { get; private set; }

    /// <summary>The position of the next batch, to save with a checkpoint and pass back to resume.</summary>
    public DataCursor Cursor => new(Epoch, BatchIndex, Seed) { BatchSize = BatchSize, SampleCount = _data.Count };

    /// <summary>
    /// The generator seed of epoch <paramref name="epoch"/>: output number <c>epoch + 1</c> of
    /// SplitMix64 started at <paramref name="seed"/>, i.e. <c>mix(seed + (epoch + 1)·0x9E3779B97F4A7C15)</c>
    /// with Steele, Lea and Flood's finaliser. The mixing matters: libtorch's CPU generator
    /// (mt19937) uses only the low 32 bits of its seed, so plain <c>seed + epoch</c> schemes
    /// collide for seeds differing only in their high bits.
    /// </summary>
    public static ulong EpochSeed(ulong seed, long epoch)
    {
        unchecked
        {
            var z = seed + ((ulong)epoch + 1) * 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>
    /// The order of epoch <paramref name="epoch"/> over <paramref name="count"/> samples: a CPU int64
    /// permutation of 0..count−1 (the caller owns it). What every <see cref="ShuffledBatches"/> with
    /// this seed visits, and what <c>torch.randperm(count, generator=torch.Generator().manual_seed(EpochSeed(seed, epoch)))</c> gives in Python.
    /// </summary>
    public static Tensor Permutation(long count, ulong seed, long epoch)
    {
        using var g = new Generator(EpochSeed(seed, epoch));
        return Tensor.RandPerm(count, g);
    }

    /// <summary>
    /// Returns the batch at the cursor (this rank's shard of it, with a <see cref="Shard"/>) and advances it, moving on
    /// to the next epoch after the last batch.
    /// </summary>
    public Batch Next()
    {
        var order = OrderOf(Epoch);
        var start = BatchIndex * BatchSize;
        var length = Math.Min(BatchSize, _data.Count - start);
        var (from, to) = Shard.Range(length);
        var indices = order.Narrow(0, start + from, to - from);
        var batch = new Batch(_data.Inputs.IndexSelect(0, indices), _data.Targets.IndexSelect(0, indices), indices, Epoch, BatchIndex) { GlobalSize = length };
        if (++BatchIndex == BatchesPerEpoch)
        {
            Epoch++;
            BatchIndex = 0;
        }
        return batch;
    }

    /// <summary>
    /// The batches left in the current epoch (all of them when it has just started), taking each
    /// with <see cref="Next"/>. Each batch joins the scope current when the enumerator advances, so
    /// in a <c>foreach</c> loop it belongs to the scope around the loop; prefer <see cref="Next"/>
    /// inside a per-step scope for training.
    /// </summary>
    public IEnumerable<Batch> RemainingInEpoch()
    {
        var epoch = Epoch;
        while (Epoch == epoch) yield return Next();
    }

    /// <summary>Frees the cached permutation.</summary>
    public void Dispose()
    {
        _order?.Dispose();
        _order = null;
        _orderEpoch = -1;
    }

    private Tensor OrderOf(long epoch)
    {
        if (_order is not null && _orderEpoch == epoch) return _order;
        _order?.Dispose();
        _order = null;
        using (DisposeScope.Suspend())
        {
            var device = _data.Inputs.Device;
            if (!Shuffle)
            {
                _order = Tensor.Arange(0L, _data.Count, 1L, DType.Int64, device);
            }
            else
            {
                var perm = Permutation(_data.Count, Seed, epoch);
                if (device == Device.Cpu) _order = perm;
                else
                {
                    using (perm) _order = perm.To(device);
                }
            }
        }
        _orderEpoch = epoch;
        return _order;
    }
}
