using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// Li et al. 2018's dense projection (<c>--denseproj</c>): P ∈ ℝ^{D×k} with i.i.d. N(0, 1) entries, each column then
/// divided by its norm over the whole D (the paper's unit-length columns; normalised across all layers, not per
/// layer), stored in float32: D·k·4 bytes, refused above the budget. P θ is one matrix–vector product.
/// </summary>
public sealed class DenseProjection : IntrinsicProjection
{
    private Tensor _p;

    /// <summary>Draws P from <paramref name="generator"/> (row-major, D·k normals).</summary>
    /// <exception cref="ArgumentException">P would exceed <paramref name="maxProjectionMb"/> MiB.</exception>
    public DenseProjection(long outputSize, int columns, Generator generator, int maxProjectionMb)
        : base(outputSize, columns)
    {
        ArgumentNullException.ThrowIfNull(generator);
        CheckBudget("dense", outputSize * columns * sizeof(float), outputSize, columns, maxProjectionMb);
        using var suspended = DisposeScope.Suspend();
        using var noGrad = Autograd.NoGrad();
        _p = Tensor.Randn([outputSize, columns], generator);
        using var norms = _p.Norm(2, [0], keepDim: true);
        _p.Div_(norms);
    }

    /// <summary>P, (D, k), unit-norm columns.</summary>
    public Tensor P => _p;

    /// <inheritdoc/>
    protected override Tensor ApplyCore(Tensor theta) => (_p.DType == theta.DType ? _p : _p.To(theta.DType)).MatMul(theta);

    /// <inheritdoc/>
    protected override void MoveTo(Device device) => _p = Moved(_p, device);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _p.Dispose();
    }
}
