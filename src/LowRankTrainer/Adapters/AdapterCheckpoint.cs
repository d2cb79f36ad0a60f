using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Checkpoints.Safetensors;
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
        var json = PeftConfigJson.Write(adapted.Method, adapted.Options).ToJsonString(Indented);
        File.WriteAllText(Path.Combine(folder, ConfigFile), json + "\n");
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
    /// <exception cref="InvalidOperationException">The adapter is merged.</exception>
    /// <exception cref="LoadStateDictException">A key is missing, unexpected, or has the wrong shape; nothing is copied.</exception>
    public static void LoadWeights(AdapterModel adapted, string folder)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (adapted.Layers.Any(l => l.Layer.Merged)) throw new InvalidOperationException("unmerge the adapter before loading weights into it");
        var file = SafetensorsFile.ReadAll(Path.Combine(folder, WeightsFile));
        try
        {
            var targets = Entries(adapted);
            var expected = targets.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
            var missing = targets.Where(t => !file.ContainsKey(t.Key)).Select(t => t.Key).ToList();
            var unexpected = file.Keys.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal).ToList();
            var mismatched = targets.Where(t => file.TryGetValue(t.Key, out var v) && !v.Shape.AsSpan().SequenceEqual(t.Slot.Value.Shape))
                                    .Select(t => new ShapeMismatch(t.Key, t.Slot.Value.Shape, file[t.Key].Shape)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
            {
                throw new LoadStateDictException($"adapter ({adapted.Method.Name})", missing, unexpected, mismatched);
            }
            using var noGrad = Autograd.NoGrad();
            foreach (var (key, slot) in targets) slot.Value.Copy_(file[key]);
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
