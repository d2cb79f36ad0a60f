namespace LowRankTrainer.Config;

/// <summary>The <c>logging</c> section.</summary>
public sealed record LoggingConfig
{
    /// <summary>Log training metrics every this many optimizer steps.</summary>
    public int LoggingSteps { get; init; } = 50;

    /// <summary>Also log the very first step.</summary>
    public bool LoggingFirstStep { get; init; }
}
