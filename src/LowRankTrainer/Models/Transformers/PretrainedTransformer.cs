using System.Text.Json;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers;

/// <summary>What <see cref="PretrainedTransformer.LoadWeights"/> did beside copying matching tensors.</summary>
/// <param name="Files">The weight files read.</param>
/// <param name="NewKeys">Model tensors left freshly initialised (a new head, as HF warns "newly initialized").</param>
/// <param name="DroppedKeys">Checkpoint tensors not used (another task's head, buffers HF ignores).</param>
public sealed record TransformerLoadReport(IReadOnlyList<string> Files, IReadOnlyList<string> NewKeys, IReadOnlyList<string> DroppedKeys);

/// <summary>
/// Hugging Face's <c>save_pretrained</c>/<c>from_pretrained</c> folder layout for <see cref="TransformerModel"/>:
/// <c>config.json</c> plus <c>model.safetensors</c> (or shards with an index, <see cref="HfWeightFiles"/>),
/// tensors under HF's names and in HF's layout.
/// </summary>
/// <remarks>
/// Loading follows <c>from_pretrained</c>: a checkpoint of the bare body (keys without the
/// <see cref="TransformerModel.BaseModelPrefix"/>, as the original <c>gpt2</c> files) is accepted; tied keys may be
/// absent; when the checkpoint was saved for another task (a language model loaded for classification) the
/// new head keeps its fresh initialisation and the old head's tensors are dropped, both reported. Everything else is
/// strict: missing, unexpected and mis-shaped tensors are listed with the file they come from, and nothing is copied.
/// </remarks>
public static class PretrainedTransformer
{
    /// <summary>The config file name.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>
    /// A complete HF folder, as <c>save_pretrained</c> of a model and its tokenizer leaves it: <see cref="Save"/>, plus the
    /// tokenizer files of <paramref name="tokenizer"/> (a file or folder, <c>data.tokenizer</c>) when there is one.
    /// </summary>
    public static void SaveWithTokenizer(TransformerModel model, string folder, string? tokenizer)
    {
        Save(model, folder);
        if (tokenizer is not null) Tokenizers.TokenizerFiles.CopyTo(tokenizer, folder);
    }

    /// <summary>Writes <paramref name="model"/> into <paramref name="folder"/> (config.json, then the weights).</summary>
    public static void Save(TransformerModel model, string folder, long maxShardBytes = HfWeightFiles.DefaultMaxShardBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(folder);
        Directory.CreateDirectory(folder);
        using var scope = new DisposeScope();
        using var state = model.StateDict();
        var tied = model.TiedKeys.ToHashSet(StringComparer.Ordinal);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, tensor) in state)
        {
            if (tied.Contains(name)) continue;
            tensors.Add(new(name, model.IsTransposedInHf(name) ? tensor.Transpose(0, 1).Contiguous() : tensor));
        }
        HfWeightFiles.Write(folder, tensors, maxShardBytes);
        HfWeightFiles.WriteAtomically(Path.Combine(folder, ConfigFile),
            model.ToConfigJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>
    /// Builds the model <c>folder/config.json</c> describes for <paramref name="task"/> and loads its weights.
    /// </summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="task">The head wanted; null: the checkpoint's own (causal LM when it names none).</param>
    /// <param name="labels">Class names for a classification head; null: the checkpoint's <c>id2label</c>.</param>
    /// <param name="generator">Initialises tensors the checkpoint does not provide (a new head) and dropout.</param>
    /// <param name="padTokenId">Overrides the checkpoint's <c>pad_token_id</c> when set.</param>
    public static (TransformerModel Model, TransformerLoadReport Report) Load(string folder, TransformerTask? task, IReadOnlyList<string>? labels,
        Generator generator, long? padTokenId = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var config = HfConfigJson.Read(Path.Combine(folder, ConfigFile));
        var saved = TransformerRegistry.CheckpointTask(config);
        var wanted = task ?? saved ?? TransformerTask.CausalLm;
        if (wanted == TransformerTask.SequenceClassification && labels is null)
        {
            labels = (saved == TransformerTask.SequenceClassification ? config.Labels() : null)
                ?? throw new ArgumentException($"{config.File}: a classification head needs label names (the checkpoint has no id2label for one)", nameof(labels));
        }
        var model = TransformerRegistry.Create(WithPad(config, padTokenId), wanted, labels, generator);
        try
        {
            return (model, LoadWeights(model, folder, headIsNew: saved != wanted || wanted == TransformerTask.SequenceClassification && labels!.Count != config.Labels()?.Count));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies the checkpoint in <paramref name="folder"/> into <paramref name="model"/>. With
    /// <paramref name="headIsNew"/> the model's head may be absent from the checkpoint and heads of other tasks
    /// are dropped; otherwise the match must be exact (tied keys and HF's ignorable buffers aside).
    /// </summary>
    /// <exception cref="InvalidDataException">Missing, unexpected or mis-shaped tensors; the message lists them with their files.</exception>
    public static TransformerLoadReport LoadWeights(TransformerModel model, string folder, bool headIsNew)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (tensors, source) = HfWeightFiles.ReadAll(folder);
        try
        {
            Dictionary<string, long[]> shapes;
            using (var state = model.StateDict()) shapes = state.ToDictionary(e => e.Key, e => e.Value.Shape, StringComparer.Ordinal);
            var prefix = model.BaseModelPrefix + ".";
            var headPrefix = model.HeadName + ".";
            var tied = model.TiedKeys.ToHashSet(StringComparer.Ordinal);
            var mapped = new Dictionary<string, string>(StringComparer.Ordinal);   // model key → checkpoint key
            var dropped = new List<string>();
            var unexpected = new List<string>();
            foreach (var key in tensors.Keys)
            {
                var target = shapes.ContainsKey(key) ? key : shapes.ContainsKey(prefix + key) ? prefix + key : null;
                if (target is not null && !(headIsNew && target.StartsWith(headPrefix, StringComparison.Ordinal)) && !tied.Contains(target))
                {
                    if (!mapped.TryAdd(target, key)) throw new InvalidDataException($"{source[key]}: both '{mapped[target]}' and '{key}' load into {target}");
                }
                else if (target is not null && tied.Contains(target) || model.IsIgnorableCheckpointKey(key)
                         || headIsNew && model.HeadPrefixes.Any(h => key.StartsWith(h + ".", StringComparison.Ordinal)))
                {
                    dropped.Add(key);
                }
                else
                {
                    unexpected.Add($"{key} ({Path.GetFileName(source[key])})");
                }
            }
            var newKeys = shapes.Keys.Where(k => headIsNew && (k.StartsWith(headPrefix, StringComparison.Ordinal) || model.MayBeNewInCheckpoint(k)) && !mapped.ContainsKey(k)).ToList();
            var fresh = newKeys.ToHashSet(StringComparer.Ordinal);
            var missing = shapes.Keys.Where(k => !mapped.ContainsKey(k) && !tied.Contains(k) && !fresh.Contains(k)).ToList();
            var misshaped = new List<string>();
            foreach (var (target, key) in mapped)
            {
                var want = shapes[target];
                if (model.IsTransposedInHf(target) && want.Length == 2) want = [want[1], want[0]];
                var have = tensors[key].Shape;
                if (!have.SequenceEqual(want)) misshaped.Add($"{key}: [{string.Join(", ", have)}] in {Path.GetFileName(source[key])}, the model needs [{string.Join(", ", want)}]");
            }
            if (missing.Count + unexpected.Count + misshaped.Count > 0)
            {
                var parts = new List<string>();
                if (missing.Count > 0) parts.Add($"missing keys: {string.Join(", ", missing)}");
                if (unexpected.Count > 0) parts.Add($"unexpected keys: {string.Join(", ", unexpected)}");
                if (misshaped.Count > 0) parts.Add($"mis-shaped keys: {string.Join("; ", misshaped)}");
                throw new InvalidDataException($"{folder}: the checkpoint does not fit {model.Architecture} — {string.Join(". ", parts)}");
            }
            using var scope = new DisposeScope();
            var load = mapped.ToDictionary(e => e.Key, e => model.IsTransposedInHf(e.Key) ? tensors[e.Value].Transpose(0, 1) : tensors[e.Value], StringComparer.Ordinal);
            model.LoadStateDict(load, strict: false);
            return new TransformerLoadReport(source.Values.Distinct().Order(StringComparer.Ordinal).ToList(), newKeys, dropped);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static HfConfigJson WithPad(HfConfigJson config, long? padTokenId) =>
        padTokenId is null ? config : config.WithOverride("pad_token_id", padTokenId.Value);
}
