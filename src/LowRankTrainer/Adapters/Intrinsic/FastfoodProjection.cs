using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// Li et al. 2018's Fastfood projection (<c>--fastfoodproj</c>; <c>tf_fastfood_transform</c> in
/// uber-research/intrinsic-dimension), after Le, Sarlós and Smola 2013: θ ∈ ℝᵏ is zero-padded to
/// LL = 2^⌈log₂ D⌉, then V = H G Π H B θ_pad with B a random ±1 diagonal, H the unnormalised Walsh–Hadamard
/// matrix (<see cref="Tensor.Fwht"/>, O(LL log LL)), Π a random permutation (a gather), G an N(0, 1) diagonal;
/// the first D entries of V divided by √(LL·ΣG²)·√(D/LL) are P θ. The divisor makes columns unit-norm in
/// expectation: a column of H G Π H B has squared norm LL·ΣG² over LL entries, of which the first D keep about D/LL.
/// </summary>
/// <remarks>Stores B, Π and G (3·LL values) instead of P; no autograd state beyond the two transforms' own.</remarks>
public sealed class FastfoodProjection : IntrinsicProjection
{
    private Tensor _b;
    private Tensor _perm;
    private Tensor _g;

    /// <summary>Draws B (±1), Π and G (N(0,1)), in that order, from <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentException">k exceeds the padded length LL.</exception>
    public FastfoodProjection(long outputSize, int columns, Generator generator)
        : base(outputSize, columns)
    {
        ArgumentNullException.ThrowIfNull(generator);
        PaddedSize = 1L << (int)Math.Ceiling(Math.Log2(outputSize));
        while (PaddedSize < outputSize) PaddedSize *= 2;  // guard against rounding in Log2
        if (columns > PaddedSize) throw new ArgumentException($"Fastfood: d = {columns} exceeds the padded size {PaddedSize} (D = {outputSize})", nameof(columns));
        using var suspended = DisposeScope.Suspend();
        using var noGrad = Autograd.NoGrad();
        using (var bits = Tensor.RandInt(0, 2, [PaddedSize], generator))
        {
            _b = bits.To(DType.Float32).Mul_(2).Add_(-1);
        }
        _perm = Tensor.RandPerm(PaddedSize, generator);
        _g = Tensor.Randn([PaddedSize], generator);
        using var sumSq = _g.To(DType.Float64).Square().Sum();
        Divisor = Math.Sqrt(PaddedSize * sumSq.ToDouble()) * Math.Sqrt(outputSize / (double)PaddedSize);
    }

    /// <summary>LL = 2^⌈log₂ D⌉, the transform length.</summary>
    public long PaddedSize { get; }

    /// <summary>√(LL·ΣG²)·√(D/LL), Li et al.'s normaliser.</summary>
    public double Divisor { get; }

    /// <summary>B, the ±1 diagonal (LL).</summary>
    public Tensor B => _b;

    /// <summary>Π as gather indices (LL): (Π x)_i = x[perm_i].</summary>
    public Tensor Permutation => _perm;

    /// <summary>G, the Gaussian diagonal (LL).</summary>
    public Tensor G => _g;

    /// <inheritdoc/>
    protected override Tensor ApplyCore(Tensor theta)
    {
        var dtype = theta.DType;
        var b = _b.DType == dtype ? _b : _b.To(dtype);
        var g = _g.DType == dtype ? _g : _g.To(dtype);
        var padded = Columns == PaddedSize ? theta : Tensor.Cat([theta, Tensor.Zeros([PaddedSize - Columns], dtype, theta.Device)]);
        var v = Hadamard(padded * b).IndexSelect(0, _perm) * g;
        return Hadamard(v).Narrow(0, 0, OutputSize) / Divisor;
    }

    /// <summary>H x along the last dimension: the native transform on the CPU, else (or with <paramref name="composed"/>) composed from libtorch ops, k stages of add/sub, so a CUDA tensor works too.</summary>
    public static Tensor Hadamard(Tensor x, bool composed = false)
    {
        if (!composed && x.Device.Equals(Device.Cpu)) return x.Fwht();
        var n = x.Shape[^1];
        var rows = x.NumEl / n;
        var y = x.Reshape(rows, n);
        for (long h = 1; h < n; h *= 2)
        {
            var pairs = y.Reshape(rows, n / (2 * h), 2, h);
            var a = pairs.Narrow(2, 0, 1);
            var c = pairs.Narrow(2, 1, 1);
            y = Tensor.Cat([a + c, a - c], 2).Reshape(rows, n);
        }
        return y.Reshape(x.Shape);
    }

    /// <inheritdoc/>
    protected override void MoveTo(Device device)
    {
        _b = Moved(_b, device);
        _perm = Moved(_perm, device);
        _g = Moved(_g, device);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _b.Dispose();
        _perm.Dispose();
        _g.Dispose();
    }
}
