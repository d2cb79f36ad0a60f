namespace LowRankTrainer.Torch.Nn;

/// <summary>x·σ(x) elementwise (Elfwing et al. 2017; PyTorch's nn.SiLU, a.k.a. swish). No parameters.</summary>
public sealed class SiLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Silu();
    }
}
