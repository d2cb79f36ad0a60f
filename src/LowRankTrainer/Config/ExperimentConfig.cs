namespace LowRankTrainer.Config;

/// <summary>
/// One experiment, as a YAML file describes it: the sections model, adapter, loss, data, train,
/// eval, checkpoint and logging, with HF Trainer / PEFT key names (snake_case in YAML).
/// Every record is immutable and carries its defaults; validation lives in the Config loader.
/// </summary>
public sealed record ExperimentConfig
{
    /// <summary>Optional name of the experiment (defaults to the config file's stem).</summary>
    public string? Name { get; init; }

    /// <summary>The model to build.</summary>
    public ModelConfig Model { get; init; } = new();

    /// <summary>The adapter wrapped around the model (none: full fine-tuning or a frozen base with <c>modules_to_save</c>).</summary>
    public AdapterConfig Adapter { get; init; } = new();

    /// <summary>The training loss.</summary>
    public LossConfig Loss { get; init; } = new();

    /// <summary>The dataset.</summary>
    public DataConfig Data { get; init; } = new();

    /// <summary>Optimisation: epochs/steps, batch size, optimizer, schedule, seeds, device, resume.</summary>
    public TrainConfig Train { get; init; } = new();

    /// <summary>When and how to evaluate.</summary>
    public EvalConfig Eval { get; init; } = new();

    /// <summary>When to save checkpoints and how many to keep.</summary>
    public CheckpointConfig Checkpoint { get; init; } = new();

    /// <summary>How often to log metrics.</summary>
    public LoggingConfig Logging { get; init; } = new();
}
