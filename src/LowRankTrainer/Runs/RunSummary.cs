using System.Text.Json;
using System.Text.Json.Serialization;

namespace LowRankTrainer.Runs;

/// <summary>
/// <c>summary.json</c>: the end-of-run facts, shaped after PEFT's <c>method_comparison</c> result
/// files (status, timings, parameter counts, final metrics) with HF's <c>train_runtime</c> /
/// <c>train_samples_per_second</c> meaning for the throughput.
/// </summary>
public sealed record RunSummary
{
    private static readonly JsonSerializerOptions _json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary><c>success</c>, <c>cancelled</c> or <c>failed</c>.</summary>
    public string Status { get; init; } = "success";

    /// <summary>The error message of a failed run.</summary>
    public string? ErrorMsg { get; init; }

    /// <summary>The run name.</summary>
    public string RunName { get; init; } = "";

    /// <summary>When the run started (ISO 8601).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The checkpoint this run resumed from, if any.</summary>
    public string? ResumedFrom { get; init; }

    /// <summary>Optimizer steps reached.</summary>
    public long GlobalStep { get; init; }

    /// <summary>Planned optimizer steps.</summary>
    public long MaxSteps { get; init; }

    /// <summary>Fractional epochs reached.</summary>
    public double Epoch { get; init; }

    /// <summary>Mean training loss over the last logging window (or the last step).</summary>
    public double? TrainLoss { get; init; }

    /// <summary>
    /// The training loss of the first optimizer step (logged when <c>logging.logging_first_step</c> is true; null
    /// otherwise or after a resume): how good an adapter's initialisation is before any update (LoRA-SB's claim).
    /// </summary>
    public double? FirstTrainLoss { get; init; }

    /// <summary>Final evaluation loss.</summary>
    public double? EvalLoss { get; init; }

    /// <summary>Final evaluation accuracy.</summary>
    public double? EvalAccuracy { get; init; }

    /// <summary>Final evaluation macro-F1 over the classes (classification), null otherwise.</summary>
    public double? EvalF1 { get; init; }

    /// <summary>Final evaluation accuracy at every MRL (or embedding-loss) nesting size (size → accuracy); null for other losses.</summary>
    public IReadOnlyDictionary<string, double>? EvalAccuracyByDim { get; init; }

    /// <summary>Embedding losses: final nearest-centroid accuracy of every (hidden layer, dim) sub-network, keyed "layer:dim"; null otherwise.</summary>
    public IReadOnlyDictionary<string, double>? EvalAccuracyByLayerDim { get; init; }

    /// <summary>
    /// Final task-specific evaluation metrics by name; null for tasks that have none. synthetic_linear:
    /// <c>effective_rank</c> (numerical rank of the learned map) and <c>rank_floor</c> (the Eckart–Young error of that rank
    /// on the target; LinearMapMetrics in Training).
    /// </summary>
    public IReadOnlyDictionary<string, double>? EvalMetrics { get; init; }

    /// <summary>Seconds this process spent in the run (setup, training, evaluation, saving).</summary>
    public double TrainRuntime { get; init; }

    /// <summary>Training samples per second over this process's steps.</summary>
    public double TrainSamplesPerSecond { get; init; }

    /// <summary>
    /// Mean seconds per optimizer step over this process's steps: forward, backward, clipping, optimizer and
    /// schedule only (evaluation, logging and checkpointing excluded).
    /// </summary>
    public double? TrainStepSeconds { get; init; }

    /// <summary>Resident memory of the process when the training loop started, in bytes (Linux; null elsewhere).</summary>
    public long? RssAtTrainStartBytes { get; init; }

    /// <summary>Peak resident memory of the process (VmHWM) at the end of the run, in bytes (Linux; null elsewhere).</summary>
    public long? PeakRssBytes { get; init; }

    /// <summary>Bytes in use on the C heap (where libtorch keeps CPU tensors) when the training loop started (glibc; null elsewhere).</summary>
    public long? HeapAtTrainStartBytes { get; init; }

    /// <summary>
    /// Peak bytes in use on the C heap during training, sampled after each backward and optimizer step of the first
    /// steps and of every 50th step (the step's memory is the same every step): the CPU counterpart of
    /// <c>torch.cuda.max_memory_allocated()</c>. Peak minus <see cref="HeapAtTrainStartBytes"/> is what training added
    /// (activations, gradients, optimizer state).
    /// </summary>
    public long? PeakHeapBytes { get; init; }

    /// <summary>The device the run trained on (<c>train.device</c> resolved: <c>cpu</c>, <c>cuda:0</c>, …).</summary>
    public string? Device { get; init; }

    /// <summary>CUDA runs: peak MiB allocated by tensors during the run (<c>torch.cuda.max_memory_allocated</c>); null on the CPU.</summary>
    public double? GpuMemPeakAllocMib { get; init; }

    /// <summary>CUDA runs: peak MiB reserved by the caching allocator during the run (<c>torch.cuda.max_memory_reserved</c>); null on the CPU.</summary>
    public double? GpuMemPeakReservedMib { get; init; }

    /// <summary>Parameters that were trained.</summary>
    public long NumTrainableParams { get; init; }

    /// <summary>Steps whose non-finite loss or gradient was dropped under <c>train.on_nonfinite: skip_step</c> (null: none).</summary>
    public long? SkippedSteps { get; init; }

    /// <summary>All parameters of the model.</summary>
    public long NumTotalParams { get; init; }

    /// <summary>fp16 runs: the loss scale S at the end of the run; null otherwise.</summary>
    public double? LossScale { get; init; }

    /// <summary>fp16 runs: steps skipped because their gradients overflowed at the loss scale (0 when none); null otherwise.</summary>
    public long? OverflowSkippedSteps { get; init; }

    /// <summary>Indented JSON with snake_case keys.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, _json);

    /// <summary>Parses <c>summary.json</c>.</summary>
    public static RunSummary FromJson(string json) =>
        JsonSerializer.Deserialize<RunSummary>(json, _json) ?? throw new JsonException("summary.json is null");
}
