using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// A layer whose weight and bias live in the intrinsic subspace (Li et al. 2018): W = W₀ + reshape(λ_W·(P θ)_W),
/// b = b₀ + λ_b·(P θ)_b, where (P θ)_W and (P θ)_b are this layer's slices of the one D-vector P θ shared by all
/// targets (<see cref="IntrinsicSubspace"/>), λ = 1 and absent for DID. The weights are re-materialised on every
/// forward and handed to the layer's own operation (<see cref="IntrinsicLinear"/>: x Wᵀ + b;
/// <see cref="IntrinsicConv2d"/>: the base's convolution); "merge" materialises θ into the base weights.
/// </summary>
/// <remarks>State-dict keys: the shared trainable <c>intrinsic_theta</c> (and <c>intrinsic_lambda</c> under SAID),
/// registered in every layer; P is not stored (regenerated from the projection seed).</remarks>
public abstract class IntrinsicLayer : AdapterLayer
{
    private readonly IntrinsicBlock _weightBlock;
    private readonly IntrinsicBlock? _biasBlock;
    private readonly bool _ownsSubspace;

    /// <summary>Wraps <paramref name="baseLayer"/>; the first layer of a subspace creates θ (zeros) and λ (ones), the rest share them.</summary>
    /// <exception cref="ArgumentException">A block does not match the size of the tensor it projects into.</exception>
    protected IntrinsicLayer(Module<Tensor, Tensor> baseLayer, IntrinsicSubspace subspace, IntrinsicBlock weightBlock, IntrinsicBlock? biasBlock)
        : base(baseLayer)
    {
        Subspace = subspace ?? throw new ArgumentNullException(nameof(subspace));
        _weightBlock = weightBlock ?? throw new ArgumentNullException(nameof(weightBlock));
        _biasBlock = biasBlock;
        if (weightBlock.Size != BaseWeight.Value.NumEl) throw new ArgumentException("the weight block does not match the layer's weight", nameof(weightBlock));
        if ((biasBlock is null) != (BaseBias is null)) throw new ArgumentException("a bias block is needed exactly when the layer has a bias", nameof(biasBlock));
        if (biasBlock is not null && biasBlock.Size != BaseBias!.Value.NumEl) throw new ArgumentException("the bias block does not match the layer's bias", nameof(biasBlock));
        if (!subspace.HasTheta)
        {
            _ownsSubspace = true;
            using var suspended = DisposeScope.Suspend();
            var dtype = BaseWeight.Value.DType;
            subspace.Theta = RegisterParameter("intrinsic_theta", Tensor.Zeros([subspace.Projection.Columns], dtype));
            if (subspace.Said) subspace.Lambda = RegisterParameter("intrinsic_lambda", Tensor.Ones([subspace.Blocks.Count], dtype));
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
    protected sealed override Tensor AdaptedForward(Tensor input)
    {
        using var deltaWeight = DeltaWeight();
        using var weight = BaseWeight.Value.Add(deltaWeight);
        using var deltaBias = DeltaBias();
        using var bias = BaseBias is { } b ? b.Value.Add(deltaBias!) : null;
        return Compute(input, weight, bias);
    }

    /// <summary>The layer's operation with the re-materialised <paramref name="weight"/> and <paramref name="bias"/> in place of the base's.</summary>
    protected abstract Tensor Compute(Tensor input, Tensor weight, Tensor? bias);

    /// <summary>ΔW = reshape(λ_W·(P θ)_W) to the base weight's shape (the slice is row-major, as <see cref="IntrinsicMethod.Layout"/> counts it).</summary>
    public sealed override Tensor DeltaWeight()
    {
        // The slice's own handle goes now (the view keeps the storage): left in the step's scope it would hold a
        // weight-sized tensor per layer through backward.
        using var offset = Subspace.Offset(_weightBlock);
        return offset.View(BaseWeight.Value.Shape);
    }

    /// <summary>Δb = λ_b·(P θ)_b, or null for a layer without bias.</summary>
    public sealed override Tensor? DeltaBias() => _biasBlock is { } block ? Subspace.Offset(block) : null;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsSubspace) Subspace.Dispose();
        base.Dispose(disposing);
    }
}
