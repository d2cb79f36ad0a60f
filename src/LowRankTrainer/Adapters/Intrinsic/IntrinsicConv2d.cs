using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// A Conv2d layer in the intrinsic subspace (Li et al. 2018 project every parameter of their LeNet, the convolutions
/// included, reshaping slices of P θ into each layer's weights): W = W₀ + reshape(λ_W·(P θ)_W) with W of shape
/// (C_out, C_in/groups, kH, kW), b = b₀ + λ_b·(P θ)_b (C_out), re-materialised on every forward, then
/// y = conv2d(x, W, b) with the base layer's stride, padding, dilation and groups (<see cref="IntrinsicLayer"/>).
/// </summary>
public sealed class IntrinsicConv2d : IntrinsicLayer
{
    private readonly Conv2d _conv;

    /// <summary>Wraps <paramref name="baseLayer"/>; its weight's slice is C_out·C_in/groups·kH·kW long (row-major), its bias's C_out.</summary>
    public IntrinsicConv2d(Conv2d baseLayer, IntrinsicSubspace subspace, IntrinsicBlock weightBlock, IntrinsicBlock? biasBlock)
        : base(baseLayer, subspace, weightBlock, biasBlock) => _conv = baseLayer;

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor input, Tensor weight, Tensor? bias) =>
        Functional.Conv2d(input, weight, bias, _conv.Stride, _conv.Padding, _conv.Dilation, _conv.Groups);
}
