namespace LowRankTrainer.Config;

/// <summary>The <c>loss</c> section.</summary>
public sealed record LossConfig
{
    /// <summary>The <c>loss.type</c> values that train an embedding with a contrastive two-view loss (no classification head).</summary>
    public static IReadOnlyList<string> EmbeddingTypes { get; } = ["mnrl", "matryoshka", "matryoshka_2d", "starbucks"];

    /// <summary>Every <c>loss.type</c>.</summary>
    public static IReadOnlyList<string> Types { get; } = ["standard", "mrl", .. EmbeddingTypes];

    /// <summary><c>cross_entropy</c> or <c>mse</c>.</summary>
    public string Name { get; init; } = "cross_entropy";

    /// <summary>
    /// <c>standard</c> (the model's one output) or <c>mrl</c>: Matryoshka Representation Learning (Kusupati et al.
    /// 2022) — nested-prefix heads on the last hidden layer and Σ_m c_m · CE(head_m(z_{1:m}), y); needs
    /// <c>name: cross_entropy</c>, <c>model.name: mlp</c> and <see cref="Matryoshka"/>.dims.
    /// The embedding losses train the MLP's hidden layers on two augmented views of each image (in-batch
    /// contrastive, <see cref="Scale"/>): <c>mnrl</c> (the base loss on the last hidden layer), <c>matryoshka</c>
    /// (sentence-transformers' MatryoshkaLoss over it, <see cref="Matryoshka"/>), <c>matryoshka_2d</c>
    /// (<see cref="Matryoshka2d"/>) and <c>starbucks</c> (<see cref="Starbucks"/>).
    /// </summary>
    public string Type { get; init; } = "standard";

    /// <summary>Label smoothing ε in [0, 1) for cross-entropy (Szegedy et al. 2016).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Target value excluded from cross-entropy.</summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>
    /// <c>loss.fused_linear_cross_entropy</c>: a causal LM's head and cross-entropy computed together, chunk by chunk, with
    /// the gradients taken in the forward pass (<see cref="Torch.Nn.FusedLinearCrossEntropy"/>; Liger-Kernel's fused linear
    /// cross-entropy), so the logits [N·T, V] and their float32 log-probabilities are never kept for backward. The same
    /// loss up to rounding; training only (evaluation computes the logits as usual). Needs <c>model.task: causal_lm</c>,
    /// <c>loss.name: cross_entropy</c>, <c>loss.type: standard</c>, no label smoothing, and a head that is a plain
    /// weight (not adapted by <c>adapter.target_modules</c>).
    /// </summary>
    public bool FusedLinearCrossEntropy { get; init; }

    /// <summary>The embedding losses' similarity scale (MultipleNegativesRankingLoss <c>scale</c>, inverse temperature).</summary>
    public double Scale { get; init; } = 20.0;

    /// <summary>The <c>loss.matryoshka</c> subsection.</summary>
    public MatryoshkaConfig Matryoshka { get; init; } = new();

    /// <summary>The <c>loss.matryoshka_2d</c> subsection (<c>type: matryoshka_2d</c>).</summary>
    public Matryoshka2dConfig Matryoshka2d { get; init; } = new();

    /// <summary>The <c>loss.starbucks</c> subsection (<c>type: starbucks</c>).</summary>
    public StarbucksConfig Starbucks { get; init; } = new();

    /// <summary>Whether <see cref="Type"/> is one of <see cref="EmbeddingTypes"/>.</summary>
    public bool IsEmbedding => EmbeddingTypes.Contains(Type, StringComparer.Ordinal);
}

/// <summary>The <c>loss.matryoshka</c> subsection (sentence-transformers' <c>MatryoshkaLoss</c> argument names).</summary>
public sealed record MatryoshkaConfig
{
    /// <summary>Nesting sizes (any order; each in [1, d] for the representation size d).</summary>
    public IReadOnlyList<int> Dims { get; init; } = [];

    /// <summary>Relative importance c_m per dim, in <see cref="Dims"/>' order (empty: all 1).</summary>
    public IReadOnlyList<double> Weights { get; init; } = [];

    /// <summary>−1: every dim each step; k ≥ 1: k dims sampled per step (reproducible from <c>train.seed</c> and the step).</summary>
    public int DimsPerStep { get; init; } = -1;

    /// <summary>MRL-E: one head whose first m columns (and shared bias) serve size m, instead of one head per size.</summary>
    public bool Efficient { get; init; }
}

/// <summary>
/// The <c>loss.matryoshka_2d</c> subsection: sentence-transformers' <c>Matryoshka2dLoss</c> arguments (the dims and
/// weights are <c>loss.matryoshka.dims</c> / <c>weights</c>).
/// </summary>
public sealed record Matryoshka2dConfig
{
    /// <summary>Earlier layers sampled per step (−1: all).</summary>
    public int NLayersPerStep { get; init; } = 1;

    /// <summary>Dims sampled per layer loss (−1: all).</summary>
    public int NDimsPerStep { get; init; } = 1;

    /// <summary>Weight of the final layer's loss.</summary>
    public double LastLayerWeight { get; init; } = 1.0;

    /// <summary>Weight of the earlier layers' losses (before 1/(1+ℓ)/|S|).</summary>
    public double PriorLayersWeight { get; init; } = 1.0;

    /// <summary>Weight of the KL term.</summary>
    public double KlDivWeight { get; init; } = 1.0;

    /// <summary>T of the KL term (0: no KL term).</summary>
    public double KlTemperature { get; init; } = 0.3;
}

/// <summary>
/// The <c>loss.starbucks</c> subsection: the fixed (layer, dim) pairs as two parallel lists (<c>layers[i]</c>,
/// <c>dims[i]</c>; layers 1-based), optional weights per pair, and the KL term.
/// </summary>
public sealed record StarbucksConfig
{
    /// <summary>The pairs' layers (1-based hidden layers of the MLP).</summary>
    public IReadOnlyList<int> Layers { get; init; } = [];

    /// <summary>The pairs' dims (each ≤ its layer's width).</summary>
    public IReadOnlyList<int> Dims { get; init; } = [];

    /// <summary>Weight per pair (empty: all 1).</summary>
    public IReadOnlyList<double> Weights { get; init; } = [];

    /// <summary>Weight of the KL term.</summary>
    public double KlDivWeight { get; init; } = 1.0;

    /// <summary>T of the KL term (0: none).</summary>
    public double KlTemperature { get; init; } = 0.3;
}
