using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LowRankTrainer.Data;

namespace LowRankTrainer.Training;

/// <summary>
/// <c>trainer_state.json</c> of a checkpoint, with the names of Hugging Face Trainer's TrainerState
/// (<c>global_step</c>, <c>epoch</c>, <c>max_steps</c>, <c>log_history</c>, <c>best_metric</c>, …) plus
/// what exact resumption needs beyond HF: the data cursor and the partial logging window.
/// </summary>
public sealed record TrainerState
{
    private static readonly JsonSerializerOptions _json = new(MetricsLog.Json) { WriteIndented = true };

    /// <summary>Optimizer steps taken.</summary>
    public long GlobalStep { get; init; }

    /// <summary>Fractional epoch at the checkpoint.</summary>
    public double Epoch { get; init; }

    /// <summary>Total optimizer steps of the run.</summary>
    public long MaxSteps { get; init; }

    /// <summary><c>train.num_train_epochs</c>.</summary>
    public double NumTrainEpochs { get; init; }

    /// <summary><c>logging.logging_steps</c>.</summary>
    public int LoggingSteps { get; init; }

    /// <summary><c>eval.eval_steps</c>.</summary>
    public int EvalSteps { get; init; }

    /// <summary><c>checkpoint.save_steps</c>.</summary>
    public int SaveSteps { get; init; }

    /// <summary>Micro-batch size.</summary>
    public int TrainBatchSize { get; init; }

    /// <summary>Best metric so far (HF's key; null: no metric_for_best_model is tracked yet).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public double? BestMetric { get; init; }

    /// <summary>Checkpoint holding the best metric (null, as <see cref="BestMetric"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? BestModelCheckpoint { get; init; }

    /// <summary>Every logged event up to the checkpoint.</summary>
    public IReadOnlyList<MetricsEntry> LogHistory { get; init; } = [];

    /// <summary>Where the training data stream stands (see <see cref="Data.DataCursor"/>).</summary>
    public JsonObject? DataCursor { get; init; }

    /// <summary>
    /// <c>train.seed</c> of the run: a trainable-only checkpoint omits the frozen base, which a resumed
    /// run rebuilds from this seed, so resuming with another seed is refused.
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>Sum of the step losses of the current, not yet logged, window.</summary>
    public double LoggingWindowLossSum { get; init; }

    /// <summary>Steps in the current, not yet logged, window.</summary>
    public long LoggingWindowSteps { get; init; }

    /// <summary>fp16 runs: the loss scale S at the checkpoint (HF Trainer keeps it in <c>scaler.pt</c>); null otherwise.</summary>
    public double? LossScale { get; init; }

    /// <summary>fp16 runs: consecutive finite steps since S last changed.</summary>
    public int? LossScaleGrowthTracker { get; init; }

    /// <summary>fp16 runs: steps skipped so far because their gradients overflowed (<see cref="LossScaling"/>); null otherwise (read as 0).</summary>
    public long? OverflowSkippedSteps { get; init; }

    /// <summary>
    /// Steps skipped so far under <c>train.on_nonfinite: skip_step</c> (<see cref="NonFiniteWatchdog"/>); 0 in checkpoints
    /// written before it was saved.
    /// </summary>
    public long SkippedSteps { get; init; }

    /// <summary>
    /// How many of those were the last steps in a row before the checkpoint, so that <c>train.max_skipped_steps</c> counts
    /// across a resume; 0 in checkpoints written before it was saved.
    /// </summary>
    public int ConsecutiveSkippedSteps { get; init; }

    /// <summary>The data cursor as a record.</summary>
    public DataCursor Cursor() => Data.DataCursor.FromJson(DataCursor?.ToJsonString() ?? throw new JsonException("trainer_state.json has no data_cursor"));

    /// <summary>Pretty-printed JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, _json);

    /// <summary>Parses <c>trainer_state.json</c>.</summary>
    public static TrainerState FromJson(string json) =>
        JsonSerializer.Deserialize<TrainerState>(json, _json) ?? throw new JsonException("trainer_state.json is null");
}
