using System.Text.Json.Serialization;

namespace LowRankTrainer.Training;

/// <summary>
/// One logged event: a line of <c>metrics.jsonl</c>, a row of <c>metrics.csv</c>, and an entry of
/// <c>trainer_state.json</c>'s <c>log_history</c> (snake_case keys as HF Trainer writes them:
/// <c>loss</c>, <c>learning_rate</c>, <c>grad_norm</c>, <c>epoch</c>, <c>step</c>; <c>eval_loss</c>,
/// <c>eval_accuracy</c>, <c>eval_runtime</c> for evaluations; fp16 runs add <c>loss_scale</c> and
/// <c>overflow_skipped_steps</c>). Absent values are omitted.
/// </summary>
public sealed record MetricsEntry
{
    /// <summary><c>train</c> or <c>eval</c>.</summary>
    public string Split { get; init; } = "train";

    /// <summary>The optimizer step the event belongs to (1-based).</summary>
    public long Step { get; init; }

    /// <summary>Fractional epoch: completed epochs plus the fraction of the current one, from the data cursor.</summary>
    public double Epoch { get; init; }

    /// <summary>Mean training loss over the optimizer steps since the previous log event.</summary>
    public double? Loss { get; init; }

    /// <summary>The learning rate used by this step (first parameter group).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Global L2 norm of the gradients before clipping, at this step.</summary>
    public double? GradNorm { get; init; }

    /// <summary>Training throughput over the logging window.</summary>
    public double? SamplesPerSecond { get; init; }

    /// <summary>Mean evaluation loss (eval events).</summary>
    public double? EvalLoss { get; init; }

    /// <summary>Evaluation accuracy in [0, 1] (classification eval events).</summary>
    public double? EvalAccuracy { get; init; }

    /// <summary>Evaluation macro-F1 over the classes (classification eval events).</summary>
    public double? EvalF1 { get; init; }

    /// <summary>MRL evaluations: accuracy at every nesting size (size → accuracy, ascending).</summary>
    public IReadOnlyDictionary<string, double>? EvalAccuracyByDim { get; init; }

    /// <summary>Embedding-loss evaluations: accuracy of every (hidden layer, dim) sub-network, keyed "layer:dim" (1-based layer).</summary>
    public IReadOnlyDictionary<string, double>? EvalAccuracyByLayerDim { get; init; }

    /// <summary>Task-specific evaluation metrics (synthetic_linear: <c>effective_rank</c>, <c>rank_floor</c>; <see cref="LinearMapMetrics"/>).</summary>
    public IReadOnlyDictionary<string, double>? EvalMetrics { get; init; }

    /// <summary>Seconds the evaluation took (eval events).</summary>
    public double? EvalRuntime { get; init; }

    /// <summary>Seconds since the run (this process) started.</summary>
    [JsonPropertyName("elapsed_seconds")]
    public double? ElapsedSeconds { get; init; }

    /// <summary>CUDA runs: peak MiB allocated by tensors since the run started (<c>torch.cuda.max_memory_allocated</c>); null on the CPU.</summary>
    public double? GpuMemPeakAllocMib { get; init; }

    /// <summary>CUDA runs: peak MiB reserved by the caching allocator since the run started (<c>torch.cuda.max_memory_reserved</c>); null on the CPU.</summary>
    public double? GpuMemPeakReservedMib { get; init; }

    /// <summary>
    /// fp16 runs (train entries): the dynamic loss scale S after this step (<see cref="LossScaling"/>; HF Trainer's scaler
    /// keeps it in <c>scaler.pt</c>); null otherwise.
    /// </summary>
    public double? LossScale { get; init; }

    /// <summary>
    /// fp16 runs (train entries): steps skipped so far because their gradients overflowed at the loss scale (the optimizer
    /// and schedule did not step and S halved), counted over the whole run, resumes included; null otherwise.
    /// </summary>
    public long? OverflowSkippedSteps { get; init; }
}
