using LowRankTrainer.Data;

namespace LowRankTrainer.Training;

/// <summary>
/// How a <see cref="Trainer"/> runs, beyond the experiment config: where the run folder goes, the
/// clock that names it, the console mode, and (for tests and embedding) datasets and a step hook.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Use exactly this run folder instead of <c>output_dir/run_name/yyyyMMdd-HHmmss</c> (created if missing).</summary>
    public string? RunDirectory { get; init; }

    /// <summary>The clock that names the run folder and stamps <c>summary.json</c>; the local time by default.</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.Now;

    /// <summary>
    /// Render a single-line progress display with <c>\r</c> (true) or print plain lines every
    /// <c>logging_steps</c> (false). Null: interactive when the console writer is <see cref="Console.Out"/>
    /// and standard output is not redirected.
    /// </summary>
    public bool? Interactive { get; init; }

    /// <summary>Training samples supplied by the caller instead of <c>data.*</c> (not owned; the trainer never disposes them).</summary>
    public TensorDataset? TrainData { get; init; }

    /// <summary>Evaluation samples supplied by the caller (not owned); used only together with <see cref="TrainData"/>.</summary>
    public TensorDataset? EvalData { get; init; }

    /// <summary>Called on the training thread after every optimizer step with the global step (e.g. to cancel at a step).</summary>
    public Action<long>? StepCompleted { get; init; }

    /// <summary>
    /// The data-parallel group this process trains in (not owned), or null for a single process: see
    /// <see cref="DataParallel"/> for what each rank does.
    /// </summary>
    public LowRankTrainer.Torch.Distributed.ProcessGroup? ProcessGroup { get; init; }

    /// <summary>
    /// Tests: makes the loss scaler instead of fp16's default (PyTorch's, S₀ = 2¹⁶), e.g. one whose huge initial scale forces
    /// gradient overflows; with another <c>train.dtype</c> it turns loss scaling on too, so the overflow bookkeeping
    /// (<see cref="LossScaling"/>) runs on the CPU. Null (the default): fp16 alone scales, with PyTorch's defaults.
    /// </summary>
    public Func<LowRankTrainer.Torch.Optim.GradScaler>? LossScaler { get; init; }
}
