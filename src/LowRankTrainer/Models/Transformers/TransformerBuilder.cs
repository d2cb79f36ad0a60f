using System.Globalization;
using LowRankTrainer.Config;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// The transformer a <c>model</c> section names: loaded from <c>model.pretrained</c> (an HF checkpoint folder, or a
/// run folder whose <c>final/</c> is one) for <c>model.task</c>, or built fresh from <c>model.hf_config</c>.
/// </summary>
public static class TransformerBuilder
{
    /// <summary>Whether <paramref name="name"/> is a transformer family (<c>model.name</c>).</summary>
    public static bool IsTransformer(string name) => TransformerRegistry.ModelTypes.Contains(name);

    /// <summary>Parses <c>model.task</c>.</summary>
    /// <exception cref="ArgumentException">An unknown task.</exception>
    public static TransformerTask ParseTask(string task) => task switch
    {
        "sequence_classification" => TransformerTask.SequenceClassification,
        "causal_lm" => TransformerTask.CausalLm,
        _ => throw new ArgumentException($"unknown model.task '{task}'; known: sequence_classification, causal_lm", nameof(task)),
    };

    /// <summary>
    /// The checkpoint folder <paramref name="path"/> names: itself when it holds <c>config.json</c>, else its
    /// <c>final/</c> (a run folder).
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither holds a config.json.</exception>
    public static string ResolveCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        foreach (var candidate in new[] { path, Path.Combine(path, "final") })
        {
            if (File.Exists(Path.Combine(candidate, PretrainedTransformer.ConfigFile))) return candidate;
        }
        throw new FileNotFoundException($"model.pretrained: no {PretrainedTransformer.ConfigFile} in '{path}' or its final/ (an HF checkpoint folder, or the folder of a run that trained a full transformer)", path);
    }

    /// <summary>Builds the model.</summary>
    /// <param name="config">The model section.</param>
    /// <param name="generator">Initialisation and dropout randomness (not owned).</param>
    /// <param name="classNames">Class names of the data (classification), or null to number <c>model.num_classes</c> labels.</param>
    /// <param name="padTokenId">The data's padding id; overrides the checkpoint's <c>pad_token_id</c>.</param>
    /// <param name="log">Receives one line about what was loaded (new head, dropped tensors).</param>
    public static TransformerModel Build(ModelConfig config, Generator generator, IReadOnlyList<string>? classNames, long? padTokenId, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var task = ParseTask(config.Task);
        var labels = task == TransformerTask.CausalLm ? null
            : classNames ?? Enumerable.Range(0, config.NumClasses).Select(i => "LABEL_" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        if (config.Pretrained is { } pretrained)
        {
            var folder = ResolveCheckpoint(pretrained);
            var (model, report) = PretrainedTransformer.Load(folder, task, labels, generator, padTokenId);
            if (model.ModelType != config.Name)
            {
                model.Dispose();
                throw new InvalidDataException($"model.pretrained: {folder} holds a {model.ModelType} model, but model.name is {config.Name}");
            }
            log?.Invoke($"model: {folder} ({model.Architecture}{(report.NewKeys.Count > 0 ? $"; new: {string.Join(", ", report.NewKeys)}" : "")}{(report.DroppedKeys.Count > 0 ? $"; unused: {string.Join(", ", report.DroppedKeys)}" : "")})");
            return model;
        }
        var file = config.HfConfig ?? throw new ArgumentException($"model.name {config.Name} needs model.hf_config or model.pretrained", nameof(config));
        var hf = HfConfigJson.Read(file);
        var type = hf.GetString("model_type");
        if (type is not null && type != config.Name) throw new InvalidDataException($"{file}: model_type is '{type}', but model.name is {config.Name}");
        hf = hf.WithOverride("model_type", config.Name);
        if (padTokenId is { } pad) hf = hf.WithOverride("pad_token_id", pad);
        return TransformerRegistry.Create(hf, task, labels, generator);
    }
}
