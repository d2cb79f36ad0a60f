namespace LowRankTrainer.Torch.Nn;

/// <summary>max(x, 0) elementwise (PyTorch's nn.ReLU). No parameters.</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Relu();
    }
}
