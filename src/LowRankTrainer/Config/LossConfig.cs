namespace LowRankTrainer.Config;

/// <summary>The <c>loss</c> section.</summary>
public sealed record LossConfig
{
    /// <summary><c>cross_entropy</c> or <c>mse</c>.</summary>
    public string Name { get; init; } = "cross_entropy";

    /// <summary>Label smoothing ε in [0, 1) for cross-entropy (Szegedy et al. 2016).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Target value excluded from cross-entropy.</summary>
    public int IgnoreIndex { get; init; } = -100;
}
