using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// RandLoRA's branch (Albert et al., "RandLoRA: Full-rank parameter-efficient fine-tuning of large models",
/// ICLR 2025; PEFT <c>tuners/randlora</c>) as one native autograd function. With m = min(d_in, d_out),
/// M = max(d_in, d_out), frozen bases A (r, 1, m), B (M, n, r) and trainable λ (r, n), γ (n, m):
/// Ã[k·n+j, i] = λ[k,j]·A[k,0,i]·γ[j,i] (r·n × m, PEFT's flatten order) and B̃[o, j·r+k] = B[o,j,k] (M × n·r);
/// the branch is (x Ãᵀ) B̃ᵀ when m = d_in and (x B̃) Ã when m = d_out, i.e. x ΔWᵀ without the scaling.
/// </summary>
/// <remarks>
/// Memory: composed from ordinary ops, the matmul that consumes Ã would save it for backward, keeping one
/// r·n·m ≈ m² tensor per adapted layer alive from forward to backward (PEFT's <c>UniqueBaseGrad</c> avoids
/// only the intermediate products). The native function saves only its inputs (x, A, B, λ, γ — no new
/// allocation) and rebuilds Ã in backward, where it lives for that one layer's backward only.
/// </remarks>
public static unsafe class RandLoraOps
{
    /// <summary>The unscaled branch x ↦ x ΔWᵀ; <paramref name="transpose"/> when m = d_out (then x's last dimension is M).</summary>
    public static Tensor Branch(Tensor input, Tensor a, Tensor b, Tensor lambda, Tensor gamma, bool transpose)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(lambda);
        ArgumentNullException.ThrowIfNull(gamma);
        nint r;
        return Tensor.Wrap(NativeMethods.ts_randlora_branch(input.Handle, a.Handle, b.Handle, lambda.Handle, gamma.Handle, transpose ? 1 : 0, &r), r);
    }

    /// <summary>
    /// How many elements the autograd node that produced <paramref name="branchOutput"/> saved for backward
    /// (x, A, B, λ, γ: all inputs, nothing allocated), or −1 when <see cref="Branch"/> did not produce it.
    /// </summary>
    public static long SavedElementCount(Tensor branchOutput)
    {
        ArgumentNullException.ThrowIfNull(branchOutput);
        long n;
        ShimLibrary.Check(NativeMethods.ts_randlora_saved_numel(branchOutput.Handle, &n));
        return n;
    }
}
