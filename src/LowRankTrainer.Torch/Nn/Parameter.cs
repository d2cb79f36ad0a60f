namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A trainable tensor slot of a <see cref="Module"/> (PyTorch's nn.Parameter): listed by
/// <see cref="Module.NamedParameters"/>, saved by <see cref="Module.StateDict"/>, and what optimizers
/// update. Registration makes the tensor a leaf that requires grad.
/// </summary>
public sealed class Parameter : TensorSlot
{
    internal Parameter(Tensor value, bool owned) : base(value, owned) { }

    /// <summary>
    /// Whether autograd computes a gradient for this parameter. Setting it applies to leaf tensors
    /// only: a borrowed, computed value (a non-leaf) follows whatever it was computed from.
    /// </summary>
    public bool RequiresGrad
    {
        get => Value.RequiresGrad;
        set
        {
            var v = Value;
            if (v.IsLeaf) v.RequiresGrad = value;
        }
    }
}
