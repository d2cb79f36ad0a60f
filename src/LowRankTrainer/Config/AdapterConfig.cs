namespace LowRankTrainer.Config;

/// <summary>The <c>adapter</c> section (PEFT key names). Adapter methods arrive with later issues.</summary>
public sealed record AdapterConfig
{
    /// <summary><c>none</c>: no adapter layers (the only method so far).</summary>
    public string Method { get; init; } = "none";

    /// <summary>
    /// Modules trained in full while the rest of the model is frozen (PEFT's <c>modules_to_save</c>,
    /// e.g. a classification head). Empty with method <c>none</c> means full fine-tuning.
    /// </summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];
}
