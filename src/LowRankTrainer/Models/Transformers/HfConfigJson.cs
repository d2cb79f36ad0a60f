using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// A Hugging Face <c>config.json</c> read with typed getters whose errors name the file and the key
/// (<c>config.json: 'n_embd' must be an integer, got "768"</c>), and written back with HF's key names.
/// Keys the model does not read are kept (<see cref="Extra"/>) so a load-then-save round trip loses nothing.
/// </summary>
public sealed class HfConfigJson
{
    private readonly JsonObject _root;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private HfConfigJson(JsonObject root, string file)
    {
        _root = root;
        File = file;
    }

    /// <summary>The file the config came from (for messages).</summary>
    public string File { get; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a JSON object.</exception>
    public static HfConfigJson Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"no config.json at '{path}'", path);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(System.IO.File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        return node is JsonObject o ? new HfConfigJson(o, path) : throw new InvalidDataException($"{path}: the top level must be a JSON object");
    }

    /// <summary>Wraps an in-memory object (tests, configs built in code).</summary>
    public static HfConfigJson FromObject(JsonObject root, string name = "config.json") => new(root ?? throw new ArgumentNullException(nameof(root)), name);

    /// <summary>A copy with <paramref name="key"/> set to <paramref name="value"/> (a setting the run overrides).</summary>
    public HfConfigJson WithOverride(string key, long value) => WithOverride(key, JsonValue.Create(value));

    /// <summary>A copy with <paramref name="key"/> set to the string <paramref name="value"/>.</summary>
    public HfConfigJson WithOverride(string key, string value) => WithOverride(key, JsonValue.Create(value));

    private HfConfigJson WithOverride(string key, JsonNode value)
    {
        var copy = (JsonObject)_root.DeepClone();
        copy[key] = value;
        return new HfConfigJson(copy, File);
    }

    /// <summary>Whether <paramref name="key"/> is present and not null.</summary>
    public bool Has(string key) => _root[key] is not null;

    /// <summary>The string under <paramref name="key"/>, or <paramref name="fallback"/> when absent; throws when required and absent.</summary>
    public string? GetString(string key, string? fallback = null, bool required = false) =>
        Get(key, required) is { } n ? As<string>(n, key, "a string") : fallback;

    /// <summary>The integer under <paramref name="key"/>.</summary>
    public long GetInt(string key, long fallback) => Get(key, false) is { } n ? AsInt(n, key) : fallback;

    /// <summary>The integer under <paramref name="key"/>, which must be present.</summary>
    public long GetInt(string key) => AsInt(Get(key, true)!, key);

    /// <summary>The integer under <paramref name="key"/>, or null when absent or null.</summary>
    public long? GetIntOrNull(string key) => Get(key, false) is { } n ? AsInt(n, key) : null;

    /// <summary>The first present key among <paramref name="keys"/> (HF's attribute_map aliases, e.g. n_embd/hidden_size), as an integer.</summary>
    public long GetIntAny(IReadOnlyList<string> keys, long? fallback = null)
    {
        foreach (var k in keys)
        {
            if (Has(k)) return GetInt(k);
        }
        return fallback ?? throw new InvalidDataException($"{File}: needs one of {string.Join(", ", keys.Select(k => $"'{k}'"))}");
    }

    /// <summary>The number under <paramref name="key"/>.</summary>
    public double GetDouble(string key, double fallback) => Get(key, false) is { } n ? AsDouble(n, key) : fallback;

    /// <summary>The boolean under <paramref name="key"/>.</summary>
    public bool GetBool(string key, bool fallback) => Get(key, false) is { } n ? As<bool>(n, key, "true or false") : fallback;

    /// <summary>The string list under <paramref name="key"/> (e.g. <c>architectures</c>), empty when absent.</summary>
    public IReadOnlyList<string> GetStrings(string key)
    {
        if (Get(key, false) is not { } n) return [];
        if (n is not JsonArray a) throw new InvalidDataException($"{File}: '{key}' must be a list of strings");
        return a.Select((x, i) => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new InvalidDataException($"{File}: '{key}[{i}]' must be a string")).ToList();
    }

    /// <summary>The integers under <paramref name="key"/>: one integer or a list (HF's <c>eos_token_id</c> forms), empty when absent.</summary>
    public IReadOnlyList<long> GetInts(string key)
    {
        if (Get(key, false) is not { } n) return [];
        if (n is not JsonArray a) return [AsInt(n, key)];
        return a.Select((x, i) => x is null ? throw new InvalidDataException($"{File}: '{key}[{i}]' must be an integer") : AsInt(x, $"{key}[{i}]")).ToList();
    }

    /// <summary>HF's <c>id2label</c> as names ordered by id, or null when absent.</summary>
    public IReadOnlyList<string>? Labels()
    {
        if (Get("id2label", false) is not { } n) return null;
        if (n is not JsonObject o) throw new InvalidDataException($"{File}: 'id2label' must be an object from id to name");
        var names = new string[o.Count];
        foreach (var (k, v) in o)
        {
            if (!int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id >= names.Length)
                throw new InvalidDataException($"{File}: 'id2label' key '{k}' must be an id 0..{names.Length - 1}");
            names[id] = v is JsonValue s && s.TryGetValue<string>(out var name) ? name : throw new InvalidDataException($"{File}: 'id2label.{k}' must be a string");
        }
        return names;
    }

    /// <summary>The keys no getter read, with their JSON values (saved back unchanged).</summary>
    public IEnumerable<KeyValuePair<string, JsonNode?>> Extra => _root.Where(e => !_read.Contains(e.Key));

    private JsonNode? Get(string key, bool required)
    {
        _read.Add(key);
        var n = _root[key];
        if (n is null && required) throw new InvalidDataException($"{File}: the key '{key}' is required");
        return n;
    }

    private T As<T>(JsonNode n, string key, string what) =>
        n is JsonValue v && v.TryGetValue<T>(out var x) ? x : throw new InvalidDataException($"{File}: '{key}' must be {what}, got {n.ToJsonString()}");

    private long AsInt(JsonNode n, string key)
    {
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            var d = Number(v);
            if (d == Math.Floor(d) && Math.Abs(d) < 1e15) return (long)d;
        }
        throw new InvalidDataException($"{File}: '{key}' must be an integer, got {n.ToJsonString()}");
    }

    private double AsDouble(JsonNode n, string key) =>
        n is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? Number(v) : throw new InvalidDataException($"{File}: '{key}' must be a number, got {n.ToJsonString()}");

    // GetValue<double> works on parsed values only; a value built in code (a long, from WithOverride or FromObject)
    // holds its CLR type, so read every number through its JSON text.
    private static double Number(JsonValue v) => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
}
