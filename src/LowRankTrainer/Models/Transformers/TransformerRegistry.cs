using LowRankTrainer.Torch;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// Builds a <see cref="TransformerModel"/> from a <c>config.json</c> by its <c>model_type</c> (HF's
/// <c>AutoModel</c> mapping): each family registers a factory here.
/// </summary>
public static class TransformerRegistry
{
    /// <summary>Creates a freshly initialised model of one family from its config.</summary>
    /// <param name="config">The parsed <c>config.json</c>.</param>
    /// <param name="task">The head to build.</param>
    /// <param name="labels">Class names (classification), or null.</param>
    /// <param name="generator">Draws the initial weights and dropout masks.</param>
    public delegate TransformerModel Factory(HfConfigJson config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator);

    private static readonly Dictionary<string, Factory> Factories = new(StringComparer.Ordinal)
    {
        ["gpt2"] = Gpt2.Gpt2Model.FromConfig,
        ["bert"] = Bert.BertModel.FromConfig,
        ["roberta"] = Bert.RobertaModel.FromConfig,
        ["llama"] = Llama.LlamaModel.FromConfig,
    };

    /// <summary>The model types that can be built.</summary>
    public static IReadOnlyCollection<string> ModelTypes => Factories.Keys;

    /// <summary>Builds the model <paramref name="config"/> describes (fresh weights).</summary>
    /// <exception cref="InvalidDataException">No or an unknown <c>model_type</c>, or a bad value (the message names file and key).</exception>
    public static TransformerModel Create(HfConfigJson config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        var type = config.GetString("model_type", required: true)!;
        if (!Factories.TryGetValue(type, out var factory))
            throw new InvalidDataException($"{config.File}: model_type '{type}' is not supported; known: {string.Join(", ", Factories.Keys.Order(StringComparer.Ordinal))}");
        return factory(config, task, labels, generator);
    }

    /// <summary>
    /// The task a checkpoint was saved for, from <c>architectures[0]</c>: <c>…ForSequenceClassification</c> →
    /// classification, <c>…LMHeadModel</c>/<c>…ForCausalLM</c> → causal LM, anything else (a bare body such as
    /// <c>GPT2Model</c>, or none) → null.
    /// </summary>
    public static TransformerTask? CheckpointTask(HfConfigJson config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var arch = config.GetStrings("architectures") is { Count: > 0 } archs ? archs[0] : null;
        if (arch is null) return null;
        if (arch.EndsWith("ForSequenceClassification", StringComparison.Ordinal)) return TransformerTask.SequenceClassification;
        if (arch.EndsWith("LMHeadModel", StringComparison.Ordinal) || arch.EndsWith("ForCausalLM", StringComparison.Ordinal)) return TransformerTask.CausalLm;
        return null;
    }
}
