using System.Globalization;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// A multi-layer perceptron: h₀ = flatten(x), hᵢ = dropout(ReLU(Wᵢ·hᵢ₋₁ + bᵢ)), logits = W_L·h_{L−1} + b_L,
/// built as PyTorch's <c>nn.Sequential</c> in a field named <c>layers</c>, so state-dict keys read
/// <c>layers.0.weight</c>, <c>layers.2.weight</c>, … exactly as the PyTorch model would.
/// </summary>
/// <remarks>
/// <para>Children: for each hidden width a Linear, a ReLU and (only when dropout &gt; 0) a Dropout, then
/// the output Linear. For 784-256-256-10 without dropout the Linears are <c>layers.0</c>,
/// <c>layers.2</c> and <c>layers.4</c> (the head), with 784·256+256 + 256·256+256 + 256·10+10 =
/// 269,322 parameters; with dropout they are <c>layers.0</c>, <c>layers.3</c>, <c>layers.6</c>.</para>
/// <para>Inputs of any shape [N, …] are flattened to [N, F] first, so Fashion-MNIST images
/// [N, 1, 28, 28] and tabular rows [N, F] both work. Weights use PyTorch's default Linear
/// initialisation drawn from the given generator in layer order, so a seed reproduces them.</para>
/// </remarks>
public sealed class Mlp : Module<Tensor, Tensor>, IClassifierModel
{
    private readonly Sequential _layers;
    private readonly List<int> _blockEnds = [];

    /// <summary>Creates the MLP.</summary>
    /// <param name="inputFeatures">F, the flattened input size (784 for 28×28 images).</param>
    /// <param name="hiddenSizes">Hidden widths, in order (may be empty: a linear classifier).</param>
    /// <param name="outputs">Number of outputs (classes).</param>
    /// <param name="dropout">Dropout probability after each hidden ReLU (0: no Dropout layers).</param>
    /// <param name="generator">Draws the initial weights and, later, the dropout masks (not owned).</param>
    public Mlp(long inputFeatures, IReadOnlyList<int> hiddenSizes, long outputs, double dropout, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        _layers = new Sequential();
        var width = AppendHiddenBlocks(_layers, inputFeatures, hiddenSizes, dropout, generator, _blockEnds);
        _layers.Append(new Linear(width, outputs, generator: generator));
        HeadName = "layers." + (_layers.Count - 1).ToString(CultureInfo.InvariantCulture);
        RegisterModule("layers", _layers);
    }

    /// <inheritdoc/>
    public string HeadName { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => _layers.Forward(ModelShapes.FlattenSamples(input));

    /// <summary>
    /// The intermediate-layer representations for layer-wise losses (2D Matryoshka, Starbucks): h₁ … h_{L−1},
    /// the output of each hidden block (after its ReLU and dropout), in order, from one pass; the head is not
    /// applied. <see cref="Forward"/> is unchanged and keeps no activations.
    /// </summary>
    public IReadOnlyList<Tensor> ForwardLayers(Tensor input)
    {
        var x = ModelShapes.FlattenSamples(input);
        var layers = new List<Tensor>(_blockEnds.Count);
        var next = 0;
        for (var i = 0; next < _blockEnds.Count; i++)
        {
            x = _layers[i].Forward(x);
            if (i == _blockEnds[next])
            {
                layers.Add(x);
                next++;
            }
        }
        return layers;
    }

    /// <summary>
    /// Appends a Linear, a ReLU and (when dropout &gt; 0) a Dropout per hidden width to <paramref name="layers"/>,
    /// recording the index of each block's last layer in <paramref name="blockEnds"/>; returns the last width.
    /// </summary>
    internal static long AppendHiddenBlocks(Sequential layers, long inputFeatures, IReadOnlyList<int> hiddenSizes, double dropout,
                                            Generator generator, List<int> blockEnds)
    {
        var width = inputFeatures;
        foreach (var h in hiddenSizes)
        {
            if (h < 1) throw new ArgumentException($"hidden sizes must be positive, got {h}", nameof(hiddenSizes));
            layers.Append(new Linear(width, h, generator: generator));
            layers.Append(new ReLU());
            if (ModelShapes.MaybeDropout(dropout, generator) is { } d) layers.Append(d);
            blockEnds.Add(layers.Count - 1);
            width = h;
        }
        return width;
    }
}
