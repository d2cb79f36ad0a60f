namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// Affine map y = x·Wᵀ + b over the last dim (PyTorch's nn.Linear): <c>weight</c> (out, in) and
/// <c>bias</c> (out). Initialised as PyTorch does: W ~ kaiming_uniform(a = √5), i.e.
/// U(−1/√in, 1/√in), then b ~ U(−1/√in, 1/√in), drawn in that order from <c>generator</c>.
/// </summary>
/// <remarks>
/// <see cref="Weight"/> is a slot: an adapter may put a merged or computed weight in it
/// (<see cref="TensorSlot.Set"/>), and the next forward uses it.
/// </remarks>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with freshly initialised parameters.</summary>
    public Linear(long inFeatures, long outFeatures, bool bias = true, Generator? generator = null,
                  DType dtype = DType.Float32, Device device = default)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        using var suspended = DisposeScope.Suspend();
        Weight = RegisterParameter("weight", Init.KaimingUniform_(Tensor.Empty([outFeatures, inFeatures], dtype, device), Math.Sqrt(5), generator));
        if (bias) Bias = RegisterParameter("bias", Init.FanInUniform_(Tensor.Empty([outFeatures], dtype, device), inFeatures, generator));
    }

    /// <summary>Size of each input sample.</summary>
    public long InFeatures { get; }

    /// <summary>Size of each output sample.</summary>
    public long OutFeatures { get; }

    /// <summary>W, (out, in).</summary>
    public Parameter Weight { get; }

    /// <summary>b, (out); null when created without bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight.Value, Bias?.Value);
}
