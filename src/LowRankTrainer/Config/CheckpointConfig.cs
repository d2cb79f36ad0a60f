namespace LowRankTrainer.Config;

/// <summary>The <c>checkpoint</c> section.</summary>
public sealed record CheckpointConfig
{
    /// <summary><c>no</c>, <c>steps</c> or <c>epoch</c>.</summary>
    public string SaveStrategy { get; init; } = "steps";

    /// <summary>Save every this many optimizer steps (with <c>steps</c>).</summary>
    public int SaveSteps { get; init; } = 500;

    /// <summary>Keep at most this many checkpoints (oldest deleted first); null keeps all.</summary>
    public int? SaveTotalLimit { get; init; }
}
