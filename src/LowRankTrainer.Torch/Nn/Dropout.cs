namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// Inverted dropout (Srivastava et al. 2014; PyTorch's nn.Dropout): in training mode each element is
/// zeroed with probability p and the rest scaled by 1/(1−p), so the expectation is unchanged; in
/// evaluation mode (<see cref="Module.Eval"/>) it is the identity.
/// </summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the layer. A <paramref name="generator"/> (not owned: the caller disposes it) makes the
    /// masks reproducible; without one the device's default generator is used.
    /// </summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        P = p;
        Generator = generator;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The generator of the masks, or null for the default one.</summary>
    public Generator? Generator { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, IsTraining, Generator);
}
