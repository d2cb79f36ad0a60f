using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// Li et al. 2018's sparse projection (<c>--sparseproj</c>): per parameter tensor t of size D_t, the block of P is a
/// very sparse random projection in the sense of Li, Hastie and Church 2006 as scikit-learn's
/// <c>SparseRandomProjection</c> builds it (density s_t = 1/√D_t, non-zeros ±1 with equal probability), and every
/// column is then divided by its norm over all blocks (Li et al.'s global <c>normalizer</c>), so columns have unit
/// norm over the whole D. Each column has exactly k_t = max(1, round(√D_t)) = round(s_t·D_t) non-zeros in block t,
/// at distinct uniformly drawn rows (scikit-learn draws the count from Binomial(D_t, s_t), mean s_t·D_t); with ±1
/// entries every column's norm is then √(Σ_t k_t), so every non-zero is ±1/√(Σ_t k_t).
/// </summary>
/// <remarks>Stored as COO: row and column indices (int64) and values (float32), 20 bytes per non-zero;
/// P θ = scatter_add over rows of value·θ[column] (differentiable in θ).</remarks>
public sealed class SparseProjection : IntrinsicProjection
{
    private Tensor _rows;
    private Tensor _cols;
    private Tensor _vals;

    /// <summary>Draws the pattern and signs from <paramref name="generator"/> (through a seeded <see cref="Random"/>).</summary>
    /// <param name="blockSizes">D_t for each projected tensor, in order (Σ = D).</param>
    /// <param name="columns">k.</param>
    /// <param name="generator">The projection's generator.</param>
    /// <param name="maxProjectionMb">The memory budget, MiB.</param>
    /// <exception cref="ArgumentException">The stored pattern would exceed the budget.</exception>
    public SparseProjection(IReadOnlyList<long> blockSizes, int columns, Generator generator, int maxProjectionMb)
        : base(Sum(blockSizes), columns)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var perColumn = blockSizes.Select(NonZerosIn).ToArray();
        var perColumnTotal = perColumn.Sum();
        var nnz = perColumnTotal * columns;
        CheckBudget("sparse", nnz * 20, OutputSize, columns, maxProjectionMb);
        int seed;
        using (var s = Tensor.RandInt(0, int.MaxValue, [1], generator)) seed = (int)s.ToInt64();
        var random = new Random(seed);
        var rows = new long[nnz];
        var cols = new long[nnz];
        var vals = new float[nnz];
        var value = (float)(1 / Math.Sqrt(perColumnTotal));
        var chosen = new HashSet<long>();
        long at = 0;
        for (var j = 0; j < columns; j++)
        {
            long offset = 0;
            for (var t = 0; t < blockSizes.Count; t++)
            {
                var size = blockSizes[t];
                // Floyd's algorithm: k distinct rows of [0, size), each k-subset equally likely.
                chosen.Clear();
                for (var r = size - perColumn[t]; r < size; r++)
                {
                    var pick = random.NextInt64(r + 1);
                    chosen.Add(chosen.Contains(pick) ? r : pick);
                }
                foreach (var row in chosen.Order())
                {
                    rows[at] = offset + row;
                    cols[at] = j;
                    vals[at] = random.Next(2) == 0 ? value : -value;
                    at++;
                }
                offset += size;
            }
        }
        using var suspended = DisposeScope.Suspend();
        _rows = Tensor.From<long>(rows, [nnz]);
        _cols = Tensor.From<long>(cols, [nnz]);
        _vals = Tensor.From<float>(vals, [nnz]);
    }

    /// <summary>Non-zeros per column in a block of <paramref name="size"/> rows: max(1, round(√size)).</summary>
    public static long NonZerosIn(long size) => Math.Max(1, (long)Math.Round(Math.Sqrt(size)));

    /// <summary>The number of stored non-zeros.</summary>
    public long NonZeros => _vals.NumEl;

    /// <inheritdoc/>
    protected override Tensor ApplyCore(Tensor theta)
    {
        var vals = _vals.DType == theta.DType ? _vals : _vals.To(theta.DType);
        var src = vals * theta.IndexSelect(0, _cols);
        return Tensor.Zeros([OutputSize], theta.DType, theta.Device).ScatterAdd(0, _rows, src);
    }

    private static long Sum(IReadOnlyList<long> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count == 0 || sizes.Any(s => s < 1)) throw new ArgumentException("intrinsic projection: every block must have at least one row", nameof(sizes));
        return sizes.Sum();
    }

    /// <inheritdoc/>
    protected override void MoveTo(Device device)
    {
        _rows = Moved(_rows, device);
        _cols = Moved(_cols, device);
        _vals = Moved(_vals, device);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _rows.Dispose();
        _cols.Dispose();
        _vals.Dispose();
    }
}
