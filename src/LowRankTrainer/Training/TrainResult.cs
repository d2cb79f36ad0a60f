using LowRankTrainer.Runs;

namespace LowRankTrainer.Training;

/// <summary>What <see cref="Trainer.Run"/> returns.</summary>
/// <param name="RunDirectory">The run folder.</param>
/// <param name="Summary">What <c>summary.json</c> holds (status, steps, final metrics, counts, timing).</param>
/// <param name="LastCheckpoint">The newest checkpoint folder written by this run, or null.</param>
public sealed record TrainResult(string RunDirectory, RunSummary Summary, string? LastCheckpoint)
{
    /// <summary>True when the run stopped early because its cancellation token fired.</summary>
    public bool Cancelled => Summary.Status == "cancelled";
}
