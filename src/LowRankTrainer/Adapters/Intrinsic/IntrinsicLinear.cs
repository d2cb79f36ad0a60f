using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// A Linear layer whose weight and bias live in the intrinsic subspace (Li et al. 2018): W = W₀ + reshape(λ_W·(P θ)_W),
/// b = b₀ + λ_b·(P θ)_b, where (P θ)_W and (P θ)_b are this layer's slices of the one D-vector P θ shared by all
/// targets (<see cref="IntrinsicSubspace"/>), λ = 1 and absent for DID. The weights are re-materialised on every
/// forward, y = x Wᵀ + b; "merge" materialises θ into the base weights.
/// </summary>
/// <remarks>State-dict keys: the shared trainable <c>intrinsic_theta</c> (and <c>intrinsic_lambda</c> under SAID),
/// registered in every layer; P is not stored (regenerated from the projection seed).</remarks>
public sealed class IntrinsicLinear : AdapterLayer
{
    private readonly IntrinsicBlock _weightBlock;
    private readonly IntrinsicBlock? _biasBlock;
    private readonly bool _ownsSubspace;

    /// <summary>Wraps <paramref name="baseLayer"/>; the first layer of a subspace creates θ (zeros) and λ (ones), the rest share them.</summary>
    public IntrinsicLinear(Linear baseLayer, IntrinsicSubspace subspace, IntrinsicBlock weightBlock, IntrinsicBlock? biasBlock)
        : base(baseLayer)
    {
        Subspace = subspace ?? throw new ArgumentNullException(nameof(subspace));
        _weightBlock = weightBlock ?? throw new ArgumentNullException(nameof(weightBlock));
        _biasBlock = biasBlock;
        if (weightBlock.Size != baseLayer.OutFeatures * baseLayer.InFeatures) throw new ArgumentException("the weight block does not match the layer's weight", nameof(weightBlock));
        if ((biasBlock is null) != (baseLayer.Bias is null)) throw new ArgumentException("a bias block is needed exactly when the layer has a bias", nameof(biasBlock));
        if (!subspace.HasTheta)
        {
            _ownsSubspace = true;
            using var suspended = DisposeScope.Suspend();
            subspace.Theta = RegisterParameter("intrinsic_theta", Tensor.Zeros([subspace.Projection.Columns], baseLayer.Weight.Value.DType));
            if (subspace.Said) subspace.Lambda = RegisterParameter("intrinsic_lambda", Tensor.Ones([subspace.Blocks.Count], baseLayer.Weight.Value.DType));
        }
        else
        {
            RegisterParameter("intrinsic_theta", subspace.Theta);
            if (subspace.Lambda is { } l) RegisterParameter("intrinsic_lambda", l);
        }
    }

    /// <summary>The shared state.</summary>
    public IntrinsicSubspace Subspace { get; }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors() =>
        Subspace.Lambda is { } l ? [("intrinsic_theta", Subspace.Theta), ("intrinsic_lambda", l)] : [("intrinsic_theta", Subspace.Theta)];

    /// <inheritdoc/>
    protected override Tensor AdaptedForward(Tensor input)
    {
        using var deltaWeight = DeltaWeight();
        using var weight = BaseLayer.Weight.Value.Add(deltaWeight);
        using var deltaBias = DeltaBias();
        using var bias = BaseLayer.Bias is { } b ? b.Value.Add(deltaBias!) : null;
        return Tensor.Linear(input, weight, bias);
    }

    /// <summary>ΔW = reshape(λ_W·(P θ)_W), (d_out, d_in).</summary>
    public override Tensor DeltaWeight() =>
        Subspace.Offset(_weightBlock).View(BaseLayer.OutFeatures, BaseLayer.InFeatures);

    /// <summary>Δb = λ_b·(P θ)_b, or null for a layer without bias.</summary>
    public override Tensor? DeltaBias() => _biasBlock is { } block ? Subspace.Offset(block) : null;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsSubspace) Subspace.Dispose();
        base.Dispose(disposing);
    }
}
