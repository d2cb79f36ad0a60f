using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// A Linear layer in the intrinsic subspace (Li et al. 2018): W = W₀ + reshape(λ_W·(P θ)_W), b = b₀ + λ_b·(P θ)_b,
/// re-materialised on every forward, y = x Wᵀ + b (<see cref="IntrinsicLayer"/>).
/// </summary>
public sealed class IntrinsicLinear : IntrinsicLayer
{
    /// <summary>Wraps <paramref name="baseLayer"/>; its weight's slice is (d_out·d_in) long, its bias's d_out.</summary>
    public IntrinsicLinear(Linear baseLayer, IntrinsicSubspace subspace, IntrinsicBlock weightBlock, IntrinsicBlock? biasBlock)
        : base(baseLayer, subspace, weightBlock, biasBlock)
    {
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor input, Tensor weight, Tensor? bias) => Tensor.Linear(input, weight, bias);
}
