namespace LowRankTrainer.Config;

/// <summary>The <c>loss</c> section.</summary>
public sealed record LossConfig
{
    /// <summary><c>cross_entropy</c> or <c>mse</c>.</summary>
    public string Name { get; init; } = "cross_entropy";

    /// <summary>
    /// <c>standard</c> (the model's one output) or <c>mrl</c>: Matryoshka Representation Learning (Kusupati et al.
    /// 2022) — nested-prefix heads on the last hidden layer and Σ_m c_m · CE(head_m(z_{1:m}), y); needs
    /// <c>name: cross_entropy</c>, <c>model.name: mlp</c> and <see cref="Matryoshka"/>.dims.
    /// </summary>
    public string Type { get; init; } = "standard";

    /// <summary>Label smoothing ε in [0, 1) for cross-entropy (Szegedy et al. 2016).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Target value excluded from cross-entropy.</summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>The <c>loss.matryoshka</c> subsection.</summary>
    public MatryoshkaConfig Matryoshka { get; init; } = new();
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
