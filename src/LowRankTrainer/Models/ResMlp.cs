using System.Globalization;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// A deep narrow residual MLP (<c>model.name: resmlp</c>), the test bed of LoTR's depth claim (Bershatsky et al. 2024,
/// "LoTR: Low Tensor Rank Weight Adaptation"; METHODS.md §9 item 6: 8–12 identical w×w hidden layers, residual):
/// h₀ = ReLU(stem(flatten(x))), hᵢ = hᵢ₋₁ + ReLU(blocks.{i−1}(hᵢ₋₁)) for i = 1 … L, logits = head(h_L),
/// with stem a Linear(F → w), every block a Linear(w → w) and head a Linear(w → C).
/// </summary>
/// <remarks>
/// <para>Names: <c>stem</c>, <c>blocks.0</c> … <c>blocks.{L−1}</c>, <c>head</c>, so <c>adapter.target_modules:
/// [blocks.0, …]</c>, <c>target_regex: blocks\.\d+</c>, <c>all-linear</c> (every Linear but the head; add
/// <c>exclude_modules: [stem]</c> for the blocks alone) and <c>model.pretrained_skip: [head]</c> all address them. The
/// blocks share one shape, so LoTR puts them into one group with one shared (A, B). (PEFT's
/// <c>layers_to_transform</c> does not apply: its pattern needs a module inside <c>blocks.N.</c>, and each block is
/// itself the Linear; list the blocks instead.)</para>
/// <para>Parameters: (F·w + w) + L·(w² + w) + (w·C + C); for F = 784, w = 128, L = 10, C = 10:
/// 100,480 + 165,120 + 1,290 = 266,890.</para>
/// <para>No residual scaling and no normalisation: at PyTorch's default Linear init (U(±1/√w)) a block's branch has
/// second moment E[hᵢ²]/6 (the weight variance 1/(3w), halved by the ReLU), so the stream's scale grows by about
/// √(7/6) per block — a factor of about 2.2 over 10 blocks — which trains without trouble (784-128×10 on
/// Fashion-MNIST classes 0–4 reaches ≈ 90 % test accuracy in 2 epochs with AdamW at lr 1e-3; see
/// <c>configs/recipes/fashion_mnist/resmlp.yaml</c>). Weights are drawn from the generator in the order stem, blocks,
/// head, so a seed reproduces them.</para>
/// </remarks>
public sealed class ResMlp : Module<Tensor, Tensor>, IClassifierModel
{
    private readonly Sequential _blocks;

    /// <summary>Creates the network.</summary>
    /// <param name="inputFeatures">F, the flattened input size (784 for 28×28 images).</param>
    /// <param name="width">w, the width of the stem's output and of every block.</param>
    /// <param name="numBlocks">L, the number of residual blocks (≥ 1).</param>
    /// <param name="outputs">C, the number of classes.</param>
    /// <param name="generator">Draws the initial weights (not owned).</param>
    public ResMlp(long inputFeatures, long width, int numBlocks, long outputs, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        RegisterModule("stem", new Linear(inputFeatures, width, generator: generator));
        // A Sequential only as the container that names the blocks 0 … L−1 (PyTorch's nn.ModuleList); the forward pass
        // below reads each block through its indexer, so an adapter that replaced one is the one that runs.
        _blocks = new Sequential();
        for (var i = 0; i < numBlocks; i++) _blocks.Append(new Linear(width, width, generator: generator));
        RegisterModule("blocks", _blocks);
        RegisterModule("head", new Linear(width, outputs, generator: generator));
        NumBlocks = numBlocks;
    }

    /// <inheritdoc/>
    public string HeadName => "head";

    /// <summary>L, the number of residual blocks.</summary>
    public int NumBlocks { get; }

    /// <summary>The module name of block <paramref name="index"/> (<c>blocks.{index}</c>).</summary>
    public static string BlockName(int index) => "blocks." + index.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = ModelShapes.FlattenSamples(input);
        var h = CallChild("stem", x).Relu();
        for (var i = 0; i < _blocks.Count; i++)
        {
            h = h + _blocks[i].Forward(h).Relu();
        }
        return CallChild("head", h);
    }
}
