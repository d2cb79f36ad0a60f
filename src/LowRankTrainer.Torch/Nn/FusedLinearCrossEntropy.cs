using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A language model's head and mean cross-entropy in one native autograd function (src/native/shim_fused_ce.cpp):
/// L = (1/n) Σ_{i: y_i ≠ ignore} [logsumexp(z_i) − z_i[y_i]] with z = h Wᵀ, computed a chunk of rows at a time and with its
/// gradients ∂L/∂h = (1/n)(softmax(z) − e_y) W and ∂L/∂W = (1/n)(softmax(z) − e_y)ᵀ h taken in the forward pass, so
/// neither the logits [M, V] nor log_softmax's float32 copy of them outlive one chunk. Liger-Kernel's fused linear
/// cross-entropy (Hsu et al. 2024, arXiv 2410.10989) is the same idea.
/// </summary>
/// <remarks>
/// Equal to <c>CrossEntropy(Linear(h, W), y)</c> up to rounding: inside an autocast region z is computed in autocast's
/// dtype and taken to float32 for the softmax, as autocast does for the unfused pair. Memory: what stays alive for
/// backward is ∂L/∂h [M, d] (and ∂L/∂W when W trains) in float32, instead of the unfused path's [M, V] float32
/// log-probabilities; the largest temporary is one chunk's [rows, V].
/// </remarks>
public static unsafe class FusedLinearCrossEntropy
{
    /// <summary>
    /// Rows per chunk when none is given: about M / ⌈V/d⌉ rounded up to a power of two (Liger-Kernel's rule), so one
    /// chunk's logits weigh about what the hidden states do.
    /// </summary>
    public static long DefaultChunkRows(long rows, long vocabulary, long hidden)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        var chunks = (vocabulary + hidden - 1) / hidden;
        var target = Math.Max(1, (rows + chunks - 1) / chunks);
        var pow2 = 1L;
        while (pow2 < target) pow2 <<= 1;
        return Math.Min(pow2, rows);
    }

    /// <summary>The mean cross-entropy of the logits <paramref name="hidden"/>·<paramref name="weight"/>ᵀ against <paramref name="target"/>.</summary>
    /// <param name="hidden">h [M, d].</param>
    /// <param name="weight">W [V, d] (a Linear's weight without bias, or a tied embedding).</param>
    /// <param name="target">y [M], int64 class indices.</param>
    /// <param name="ignoreIndex">Rows whose target is this drop out of the loss and of n.</param>
    /// <param name="chunkRows">Rows per chunk; null: <see cref="DefaultChunkRows"/>.</param>
    public static Tensor Compute(Tensor hidden, Tensor weight, Tensor target, long ignoreIndex = -100, long? chunkRows = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(target);
        var rows = chunkRows ?? (hidden.Rank == 2 && weight.Rank == 2 && hidden.Size(0) > 0 ? DefaultChunkRows(hidden.Size(0), weight.Size(0), weight.Size(1)) : 1);
        nint r;
        return Tensor.Wrap(NativeMethods.ts_fused_linear_cross_entropy(hidden.Handle, weight.Handle, target.Handle, ignoreIndex, rows, &r), r);
    }
}
