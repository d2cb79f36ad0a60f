namespace LowRankTrainer.Config;

/// <summary>The <c>eval</c> section.</summary>
public sealed record EvalConfig
{
    /// <summary><c>no</c>, <c>steps</c> or <c>epoch</c>.</summary>
    public string EvalStrategy { get; init; } = "epoch";

    /// <summary>Evaluate every this many optimizer steps (with <c>steps</c>).</summary>
    public int EvalSteps { get; init; } = 500;

    /// <summary>Batch size for evaluation.</summary>
    public int PerDeviceEvalBatchSize { get; init; } = 256;
}
