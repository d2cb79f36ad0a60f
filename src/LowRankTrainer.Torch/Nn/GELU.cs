namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// Gaussian error linear unit (Hendrycks &amp; Gimpel 2016; PyTorch's nn.GELU): x·Φ(x), or with the tanh
/// approximation (GPT-2's "gelu_new") 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). No parameters.
/// </summary>
public sealed class GELU : Module<Tensor, Tensor>
{
    /// <summary>Exact GELU, or the tanh approximation (PyTorch's approximate="tanh").</summary>
    public GELU(bool tanhApproximation = false) => TanhApproximation = tanhApproximation;

    /// <summary>Whether the tanh approximation is used.</summary>
    public bool TanhApproximation { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Gelu(TanhApproximation);
    }
}
