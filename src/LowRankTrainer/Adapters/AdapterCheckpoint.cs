using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters;

/// <summary>
/// Adapter-only checkpoints in PEFT's layout (<c>save_pretrained</c> / <c>from_pretrained</c>): a folder
/// with <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>. Keys are
/// <c>base_model.model.&lt;module&gt;.&lt;tensor&gt;</c> without the adapter name, e.g.
/// <c>base_model.model.layers.0.lora_A.weight</c> (r, d_in) and <c>…lora_B.weight</c> (d_out, r); shared
/// tensors once as <c>base_model.&lt;name&gt;</c> — PEFT keeps them on the tuner, not in the wrapped model (VeRA's
/// <c>base_model.vera_A</c>, RandLoRA's <c>base_model.randlora_A</c>); trained biases and <c>modules_to_save</c> under
/// their model names. The frozen base is not stored.
/// </summary>
public static class AdapterCheckpoint
{
    /// <summary>The config file's name.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>The weights file's name.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>PEFT's key prefix (<c>PeftModel</c> → <c>base_model</c> (tuner) → <c>model</c>).</summary>
    public const string KeyPrefix = "base_model.model.";

    /// <summary>The prefix of tensors shared across layers, which PEFT holds on the tuner (<c>base_model</c>) itself.</summary>
    public const string SharedKeyPrefix = "base_model.";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the adapter of <paramref name="adapted"/> to <paramref name="folder"/> (created if needed).</summary>
    public static void Save(AdapterModel adapted, string folder)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var entries = Entries(adapted).Select(e => new KeyValuePair<string, Tensor>(e.Key, e.Slot.Value));
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFile), entries, new Dictionary<string, string> { ["format"] = "pt" });
        var config = PeftConfigJson.Write(adapted.Method, adapted.Options);
        // PEFT sets fan_in_fan_out for Conv1D targets (GPT-2's) itself, with a warning when the config says otherwise; the
        // adapter tensors are the same either way (they act on (d_out, d_in) here, and PEFT's on x the same way).
        if (config.ContainsKey("fan_in_fan_out") && StoredTransposedInHf(adapted)) config["fan_in_fan_out"] = true;
        File.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(Indented) + "\n");
    }

    /// <summary>
    /// Whether every adapted layer is one that the model's Hugging Face checkpoint stores transposed (GPT-2's Conv1D,
    /// <see cref="TransformerModel.IsTransposedInHf"/>): PEFT's <c>fan_in_fan_out</c> for such targets.
    /// </summary>
    public static bool StoredTransposedInHf(AdapterModel adapted)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        return adapted.Model is TransformerModel t && adapted.Layers.Count > 0 && adapted.Layers.All(l => t.IsTransposedInHf(l.Name + ".weight"));
    }

    /// <summary>
    /// The keys under which PEFT's own files repeat a shared tensor, mapped to its shared key: PEFT saves the tuner's
    /// state dict filtered by the method's prefix, and every layer reaches the shared buffers (RandLoRA's
    /// <c>randlora_A</c>/<c>randlora_B</c> <c>BufferDict</c>) too, so besides <c>base_model.randlora_A</c> the file holds
    /// <c>base_model.model.&lt;module&gt;.randlora_A</c> for each adapted module (copies: safetensors stores no aliases).
    /// </summary>
    public static IReadOnlyDictionary<string, string> SharedCopyKeys(AdapterModel adapted)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        var copies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (shared, _) in adapted.Shared)
        {
            foreach (var (layer, _) in adapted.Layers) copies[KeyPrefix + layer + "." + shared] = SharedKeyPrefix + shared;
        }
        return copies;
    }

    /// <summary>
    /// Reads <c>adapter_config.json</c>, injects that adapter into <paramref name="model"/> (a fresh base),
    /// and loads the weights: what <c>PeftModel.from_pretrained</c> does.
    /// </summary>
    /// <param name="model">A fresh base model.</param>
    /// <param name="folder">The adapter's folder.</param>
    /// <param name="method">The method, when it is not in <see cref="AdapterRegistry"/>; null: found by <c>peft_type</c>.</param>
    public static AdapterModel Load(Module model, string folder, IAdapterMethod? method = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = ReadOptions(folder, method);
        var adapted = AdapterModel.Inject(model, method ?? AdapterRegistry.ForOptions(options), options);
        LoadWeights(adapted, folder);
        return adapted;
    }

    /// <summary>The options stored in <paramref name="folder"/>'s <c>adapter_config.json</c>.</summary>
    /// <exception cref="FormatException">The file is not a JSON object or has no <c>peft_type</c>.</exception>
    /// <param name="folder">The adapter's folder.</param>
    /// <param name="method">The method to parse with (its <c>peft_type</c> must match); null: found in <see cref="AdapterRegistry"/>.</param>
    public static AdapterOptions ReadOptions(string folder, IAdapterMethod? method = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var path = Path.Combine(folder, ConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FormatException($"{path}: not a JSON object");
        var type = config["peft_type"]?.GetValue<string>() ?? throw new FormatException($"{path}: no peft_type");
        if (method is not null && !string.Equals(method.PeftType, type, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"{path}: peft_type '{type}' is not {method.Name}'s '{method.PeftType}'");
        }
        method ??= AdapterRegistry.ForPeftType(type);
        return method.ReadConfig(config, PeftConfigJson.ReadCommon(config, method.DefaultOptions));
    }

    /// <summary>Copies the tensors of <paramref name="folder"/>'s <c>adapter_model.safetensors</c> into the adapter, in place.</summary>
    /// <remarks>
    /// Besides the keys <see cref="Save"/> writes, a file may hold PEFT's per-layer copies of the shared tensors
    /// (<see cref="SharedCopyKeys"/>): each must equal the shared tensor, and stands in for it when the file lacks it.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The adapter is merged.</exception>
    /// <exception cref="LoadStateDictException">A key is missing, unexpected, or has the wrong shape, or a copy of a shared tensor differs from it; nothing is copied.</exception>
    public static void LoadWeights(AdapterModel adapted, string folder)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (adapted.Layers.Any(l => l.Layer.Merged)) throw new InvalidOperationException("unmerge the adapter before loading weights into it");
        var file = SafetensorsFile.ReadAll(Path.Combine(folder, WeightsFile));
        try
        {
            var targets = Entries(adapted);
            var slots = targets.ToDictionary(t => t.Key, t => t.Slot, StringComparer.Ordinal);
            var copies = SharedCopyKeys(adapted);
            // Where each saved key loads from: itself, or for a shared tensor the file lacks, its first per-layer copy.
            var source = targets.ToDictionary(t => t.Key, t => t.Key, StringComparer.Ordinal);
            foreach (var (copy, shared) in copies.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (!file.ContainsKey(shared) && file.ContainsKey(copy) && source[shared] == shared) source[shared] = copy;
            }
            var missing = targets.Where(t => !file.ContainsKey(source[t.Key])).Select(t => t.Key).ToList();
            var unexpected = file.Keys.Where(k => !slots.ContainsKey(k) && !copies.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
            var mismatched = new List<ShapeMismatch>();
            foreach (var (key, value) in file)
            {
                var owner = slots.ContainsKey(key) ? key : copies.GetValueOrDefault(key);
                if (owner is not null && !value.Shape.AsSpan().SequenceEqual(slots[owner].Value.Shape)) mismatched.Add(new ShapeMismatch(key, slots[owner].Value.Shape, value.Shape));
            }
            if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
            {
                throw new LoadStateDictException($"adapter ({adapted.Method.Name})", missing, unexpected, mismatched);
            }
            foreach (var (copy, shared) in copies)
            {
                if (file.TryGetValue(copy, out var c) && !c.ValueEquals(file[source[shared]]))
                {
                    throw new LoadStateDictException($"adapter ({adapted.Method.Name}): {copy} is a per-layer copy of the shared {shared} but holds other values");
                }
            }
            using var noGrad = Autograd.NoGrad();
            foreach (var (key, slot) in targets) slot.Value.Copy_(file[source[key]]);
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }

    /// <summary>Every saved tensor by its PEFT key, each slot once, in module order.</summary>
    public static IReadOnlyList<(string Key, TensorSlot Slot)> Entries(AdapterModel adapted)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        var result = new List<(string, TensorSlot)>();
        var seen = new HashSet<TensorSlot>(ReferenceEqualityComparer.Instance);
        var shared = adapted.Shared.Select(s => s.Slot).ToHashSet(ReferenceEqualityComparer.Instance);
        void Add(string name, TensorSlot slot, string prefix = KeyPrefix)
        {
            if (seen.Add(slot)) result.Add((prefix + name, slot));
        }

        foreach (var (name, slot) in adapted.Shared) Add(name, slot, SharedKeyPrefix);
        foreach (var (name, layer) in adapted.Layers)
        {
            foreach (var (local, slot) in layer.AdapterTensors())
            {
                if (!shared.Contains(slot)) Add(name + "." + local, slot);
            }
            if (adapted.Options.Bias == AdapterBias.AdapterOnly && layer.BaseBias is { } b) Add(name + ".base_layer.bias", b);
        }
        var options = adapted.Options;
        foreach (var (name, p) in adapted.Model.NamedParameters())
        {
            var inSaved = options.ModulesToSave.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal));
            if (inSaved || (options.Bias == AdapterBias.All && AdapterModel.IsBias(name))) Add(name, p);
        }
        return result;
    }
}
