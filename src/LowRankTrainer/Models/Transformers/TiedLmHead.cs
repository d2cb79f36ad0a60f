using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// An output projection that reads the token-embedding matrix E [vocab, d] (weight tying, Press &amp; Wolf 2017):
/// logits = h·Eᵀ. The same <see cref="Parameter"/> is registered here as <c>weight</c>, so both names reach one
/// tensor, which is trained once; HF saves only the embedding (the head's key is "tied").
/// </summary>
public sealed class TiedLmHead : Module<Tensor, Tensor>
{
    /// <summary>Registers <paramref name="embedding"/> as this head's weight.</summary>
    public TiedLmHead(Parameter embedding) => Weight = RegisterParameter("weight", embedding ?? throw new ArgumentNullException(nameof(embedding)));

    /// <summary>The shared embedding matrix.</summary>
    public Parameter Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight.Value);
}
