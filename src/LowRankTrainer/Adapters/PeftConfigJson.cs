using System.Text.Json;
using System.Text.Json.Nodes;

namespace LowRankTrainer.Adapters;

/// <summary>
/// The fields of PEFT's <c>adapter_config.json</c> that every method shares (<c>peft_type</c>,
/// <c>target_modules</c> as a list or a regex string, <c>exclude_modules</c>, <c>modules_to_save</c>,
/// <c>bias</c>, …), written and read with snake_case keys as PEFT's <c>save_pretrained</c> does.
/// </summary>
public static class PeftConfigJson
{
    /// <summary>The common fields of <paramref name="options"/> followed by the method's own (<see cref="IAdapterMethod.WriteConfig"/>).</summary>
    public static JsonObject Write(IAdapterMethod method, AdapterOptions options)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(options);
        var config = new JsonObject
        {
            ["peft_type"] = method.PeftType,
            ["task_type"] = null,
            ["base_model_name_or_path"] = null,
            ["revision"] = null,
            ["inference_mode"] = true,
            ["target_modules"] = options.TargetRegex is { } r ? JsonValue.Create(r) : Strings(options.TargetModules),
            ["layers_to_transform"] = options.LayersToTransform.Count > 0 ? new JsonArray(options.LayersToTransform.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()) : null,
            ["layers_pattern"] = options.LayersPattern.Count > 0 ? Strings(options.LayersPattern) : null,
            ["modules_to_save"] = options.ModulesToSave.Count > 0 ? Strings(options.ModulesToSave) : null,
            ["bias"] = options.Bias switch { AdapterBias.All => "all", AdapterBias.AdapterOnly => method.Name + "_only", _ => "none" },
        };
        // Only when set: not every PEFT config has the field (RandLoraConfig in PEFT 0.21 does not, and warns about an unknown key).
        if (options.ExcludeRegex is { } x) config["exclude_modules"] = x;
        else if (options.ExcludeModules.Count > 0) config["exclude_modules"] = Strings(options.ExcludeModules);
        method.WriteConfig(options, config);
        return config;
    }

    /// <summary>Reads the common fields into <paramref name="defaults"/> (the method's default options); absent keys keep their default.</summary>
    /// <exception cref="FormatException">A field has the wrong JSON type or an unknown <c>bias</c>.</exception>
    public static AdapterOptions ReadCommon(JsonObject config, AdapterOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(defaults);
        var o = defaults;
        switch (config["target_modules"])
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: o = o with { TargetRegex = v.GetValue<string>(), TargetModules = [] }; break;
            case JsonArray a: o = o with { TargetModules = StringList(a, "target_modules"), TargetRegex = null }; break;
            case null: break;
            default: throw new FormatException("adapter_config.json: target_modules must be a list of names or a regex string");
        }
        switch (config["exclude_modules"])
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: o = o with { ExcludeRegex = v.GetValue<string>(), ExcludeModules = [] }; break;
            case JsonArray a: o = o with { ExcludeModules = StringList(a, "exclude_modules"), ExcludeRegex = null }; break;
            case null: break;
            default: throw new FormatException("adapter_config.json: exclude_modules must be a list of names or a regex string");
        }
        switch (config["layers_to_transform"])
        {
            // PEFT accepts one index or a list of them.
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number: o = o with { LayersToTransform = [v.GetValue<int>()] }; break;
            case JsonArray a:
                o = o with
                {
                    LayersToTransform = a.Select(n => n is JsonValue i && i.GetValueKind() == JsonValueKind.Number ? i.GetValue<int>()
                                                      : throw new FormatException("adapter_config.json: layers_to_transform must hold integers")).ToArray(),
                };
                break;
            case null: break;
            default: throw new FormatException("adapter_config.json: layers_to_transform must be an integer or a list of integers");
        }
        switch (config["layers_pattern"])
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: o = o with { LayersPattern = [v.GetValue<string>()] }; break;
            case JsonArray a: o = o with { LayersPattern = StringList(a, "layers_pattern") }; break;
            case null: break;
            default: throw new FormatException("adapter_config.json: layers_pattern must be a string or a list of strings");
        }
        if (config["modules_to_save"] is JsonArray ms) o = o with { ModulesToSave = StringList(ms, "modules_to_save") };
        if (config["bias"] is JsonValue b)
        {
            var bias = b.GetValue<string>();
            o = o with
            {
                Bias = bias switch
                {
                    "none" => AdapterBias.None,
                    "all" => AdapterBias.All,
                    _ when bias.EndsWith("_only", StringComparison.Ordinal) => AdapterBias.AdapterOnly,
                    _ => throw new FormatException($"adapter_config.json: unknown bias '{bias}' (none, all, <method>_only)"),
                },
            };
        }
        return o;
    }

    /// <summary>A JSON object of patterns, <c>{"regex": value}</c>, or null when there are none.</summary>
    public static JsonObject? Pattern<T>(IReadOnlyDictionary<string, T>? pattern)
    {
        if (pattern is null || pattern.Count == 0) return null;
        var o = new JsonObject();
        foreach (var (k, v) in pattern) o[k] = JsonValue.Create(v);
        return o;
    }

    /// <summary>Reads a pattern object back (absent or null: empty).</summary>
    public static Dictionary<string, T> ReadPattern<T>(JsonNode? node)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o) result[k] = v is null ? throw new FormatException($"adapter_config.json: pattern '{k}' has no value") : v.GetValue<T>();
        }
        return result;
    }

    private static JsonArray Strings(IEnumerable<string> items) => new(items.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());

    private static string[] StringList(JsonArray a, string key) =>
        a.Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                      : throw new FormatException($"adapter_config.json: {key} must hold strings")).ToArray();
}
