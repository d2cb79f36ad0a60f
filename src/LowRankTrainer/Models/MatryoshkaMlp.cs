using LowRankTrainer.Losses;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// An MLP encoder with Matryoshka heads (Kusupati et al. 2022): z = h_{L−1}(x) ∈ R^d is the output of the last
/// hidden block (d = the last hidden width, e.g. 784-256-64 → z ∈ R^64), and <see cref="MrlLinear"/> maps every
/// prefix z_{1:m}, m ∈ M, to logits. <see cref="Forward"/> returns them stacked as [N, |M|, C] (ascending m).
/// </summary>
/// <remarks>
/// <para>Children: <c>layers</c>, the same hidden blocks as <see cref="Mlp"/> (so <c>layers.0.weight</c>, … match
/// an MLP's keys) without its output Linear, and <c>mrl</c>, the heads (<c>mrl.nesting_classifier_0.weight</c>, …),
/// which is the head for <c>adapter.modules_to_save</c>. Weights are drawn in that order from the generator.</para>
/// </remarks>
public sealed class MatryoshkaMlp : Module<Tensor, Tensor>, IClassifierModel
{
    private readonly Sequential _layers;
    private readonly MrlLinear _heads;

    /// <summary>Creates the model.</summary>
    /// <param name="inputFeatures">F, the flattened input size.</param>
    /// <param name="hiddenSizes">Hidden widths (at least one); the last is d.</param>
    /// <param name="numClasses">C.</param>
    /// <param name="nestingSizes">M, each in [1, d].</param>
    /// <param name="efficient">MRL-E heads (one weight-tied head) instead of one per size.</param>
    /// <param name="dropout">Dropout after each hidden ReLU.</param>
    /// <param name="generator">Initialisation and dropout randomness (not owned).</param>
    public MatryoshkaMlp(long inputFeatures, IReadOnlyList<int> hiddenSizes, long numClasses, IReadOnlyList<int> nestingSizes, bool efficient,
                         double dropout, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputFeatures, 1);
        if (hiddenSizes.Count == 0) throw new ArgumentException("a Matryoshka MLP needs at least one hidden layer (the representation)", nameof(hiddenSizes));
        _layers = new Sequential();
        var d = Mlp.AppendHiddenBlocks(_layers, inputFeatures, hiddenSizes, dropout, generator, []);
        _heads = new MrlLinear(d, nestingSizes, numClasses, efficient, generator);
        RegisterModule("layers", _layers);
        RegisterModule("mrl", _heads);
    }

    /// <inheritdoc/>
    public string HeadName => "mrl";

    /// <summary>The heads (sizes, MRL or MRL-E).</summary>
    public MrlLinear Heads => _heads;

    /// <summary>z = the last hidden block's output, [N, d].</summary>
    public Tensor Representation(Tensor input) => _layers.Forward(ModelShapes.FlattenSamples(input));

    /// <summary>The logits of every nesting size, [N, |M|, C].</summary>
    public override Tensor Forward(Tensor input) => _heads.Forward(Representation(input));
}
