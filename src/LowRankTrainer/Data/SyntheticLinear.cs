using LowRankTrainer.Torch;

namespace LowRankTrainer.Data;

/// <summary>
/// <c>data.dataset: synthetic_linear</c>: a seeded full-rank target map T ∈ R^{d×d} and the d standard basis inputs
/// x = e_j with targets y = T e_j — the RandLoRA full-rank experiment (Albert et al., ICLR 2025; METHODS.md §9 item 4(i)):
/// LoRA's error floors at T's tail singular-value energy, a full-rank RandLoRA update can go below it.
/// </summary>
/// <remarks>
/// <para>T is scaled to ‖T‖²_F = d², so a model computing y = W x has MSE (the mean over the d·d outputs)
/// ‖W − T‖²_F / d² = ‖W − T‖²_F / ‖T‖²_F: the eval loss is the relative error, exactly 1 at W = 0. The basis inputs
/// make the fit perfectly conditioned: every direction of W is seen once.</para>
/// <para>Targets (<c>data.synthetic_target</c>), drawn in float64 from a generator seeded with <c>data.synthetic_seed</c>
/// (libtorch's CPU mt19937, so the same T on every run):</para>
/// <list type="bullet">
/// <item><c>gaussian</c>: G with i.i.d. N(0, 1) entries — full rank, Marchenko–Pastur spectrum (energy concentrated in
/// the top singular values, so a low-rank fit already captures a good share).</item>
/// <item><c>orthogonal</c>: Q of G = QR with the signs fixed by diag(R) (Q·diag(sign R_ii), Haar-distributed; Mezzadri
/// 2007) — full rank, flat spectrum: every singular value is √d after scaling, so the best rank-k map leaves
/// (d − k)/d of the energy.</item>
/// </list>
/// </remarks>
public static class SyntheticLinear
{
    /// <summary>The <c>data.synthetic_target</c> values.</summary>
    public static IReadOnlyList<string> Targets { get; } = ["gaussian", "orthogonal"];

    /// <summary>The target map T [d, d] (float64, CPU; the caller owns it), scaled so ‖T‖²_F = d².</summary>
    /// <param name="d">The size (<c>data.synthetic_dim</c>).</param>
    /// <param name="kind"><c>gaussian</c> or <c>orthogonal</c>.</param>
    /// <param name="seed">The generator's seed (<c>data.synthetic_seed</c>).</param>
    /// <exception cref="ArgumentException">An unknown kind or d &lt; 1.</exception>
    public static Tensor Target(int d, string kind, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        ArgumentNullException.ThrowIfNull(kind);
        if (!Targets.Contains(kind, StringComparer.Ordinal))
            throw new ArgumentException($"unknown data.synthetic_target '{kind}'; known: {string.Join(", ", Targets)}", nameof(kind));
        using var generator = new Generator(unchecked((ulong)seed));
        using var scope = new DisposeScope();
        var g = Tensor.Randn([d, d], generator, DType.Float64);
        var m = g;
        if (kind == "orthogonal")
        {
            var (q, r) = Linalg.Qr(g);
            // LAPACK's Householder QR leaves the signs of diag(R) arbitrary; fixing them makes Q Haar-distributed.
            // (A zero R_ii has probability 0; it keeps its column as it is.)
            var signs = Tensor.Einsum("ii->i", r).Sign();
            m = q * Tensor.Where(signs.Eq(0), signs.OnesLike(), signs).Unsqueeze(0);
        }
        var norm = m.Square().Sum().Sqrt().ToDouble();
        var target = m * (d / norm);
        return target.DetachFromScope();
    }

    /// <summary>
    /// The d samples of the task for a target T [d_out, d_in]: inputs the identity (row j = e_j, float32 [d_in, d_in])
    /// and targets row j = (T e_j)ᵀ, i.e. Tᵀ (float32 [d_in, d_out]). The dataset owns new tensors; T is not taken.
    /// </summary>
    public static TensorDataset Dataset(Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Rank != 2) throw new ArgumentException($"the target map must be a matrix, got shape [{string.Join(", ", target.Shape)}]", nameof(target));
        using var _ = DisposeScope.Suspend();
        var inputs = Tensor.Eye(target.Size(1));
        try
        {
            using var transposed = target.MT;
            return new TensorDataset(inputs, transposed.To(DType.Float32).Contiguous());
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }
}
