using System.Globalization;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace LowRankTrainer.Experiments;

/// <summary>
/// One finished run as the reports see it: its config values flattened to dotted keys (<c>adapter.d</c> → <c>500</c>,
/// <c>model.hidden_sizes</c> → <c>[200, 200]</c>), the pseudo-keys <c>group</c> and <c>run</c>, and every number of
/// its <c>summary.json</c> flattened the same way (<c>eval_accuracy</c>, <c>eval_accuracy_by_dim.8</c>,
/// <c>eval_accuracy_by_layer_dim.2:16</c>, <c>eval_metrics.effective_rank</c>).
/// </summary>
/// <param name="Values">Config values as canonical text (<see cref="Canonical"/>), plus group and run.</param>
/// <param name="Metrics">The numeric fields of summary.json.</param>
/// <param name="Status">summary.json's status (success, cancelled, failed).</param>
/// <param name="Folder">Where the record was read from.</param>
public sealed record RunRecord(
    IReadOnlyDictionary<string, string> Values,
    IReadOnlyDictionary<string, double> Metrics,
    string Status,
    string Folder)
{
    /// <summary>The pseudo-key holding the run group of an experiment (or the run's folder name for ad-hoc reports).</summary>
    public const string GroupKey = "group";

    /// <summary>The pseudo-key holding the run's name within its group.</summary>
    public const string RunKey = "run";

    /// <summary>The value of a key, or null when the run has none.</summary>
    public string? Value(string key) => Values.TryGetValue(key, out var v) ? v : null;

    /// <summary>A metric, or null when summary.json does not hold it.</summary>
    public double? Metric(string name) => Metrics.TryGetValue(name, out var v) ? v : null;

    /// <summary>
    /// Reads a run folder (or a results copy of one): <c>summary.json</c> is required, <c>config.yaml</c> optional.
    /// </summary>
    /// <param name="folder">The folder holding summary.json.</param>
    /// <param name="group">The group name; null uses the summary's run name.</param>
    /// <param name="run">The run name within the group; null uses the folder name.</param>
    /// <exception cref="InvalidDataException">summary.json or config.yaml is malformed (the message names the file).</exception>
    public static RunRecord Load(string folder, string? group = null, string? run = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var summaryPath = Path.Combine(folder, "summary.json");
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        string status;
        string runName;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(summaryPath));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{summaryPath}: not a JSON object");
            FlattenJson(doc.RootElement, "", metrics);
            status = doc.RootElement.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "unknown";
            runName = doc.RootElement.TryGetProperty("run_name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{summaryPath}: {e.Message}", e);
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var configPath = Path.Combine(folder, "config.yaml");
        if (File.Exists(configPath)) FlattenYaml(configPath, values);
        values[GroupKey] = group ?? (runName.Length > 0 ? runName : Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)));
        values[RunKey] = run ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        return new RunRecord(values, metrics, status, folder);
    }

    /// <summary>
    /// The canonical text of a YAML value so that equal values compare equal however they were written: numbers in
    /// shortest round-trip form (<c>1e-3</c> and <c>0.001</c> → <c>0.001</c>), lists as <c>[a, b]</c>, quotes removed.
    /// </summary>
    public static string Canonical(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.Length >= 2 && ((t[0] == '"' && t[^1] == '"') || (t[0] == '\'' && t[^1] == '\''))) return t[1..^1];
        if (t.StartsWith('[') && t.EndsWith(']'))
        {
            var inner = t[1..^1].Trim();
            if (inner.Length == 0) return "[]";
            return "[" + string.Join(", ", SplitTopLevel(inner).Select(Canonical)) + "]";
        }
        if (t.Any(char.IsAsciiDigit) && t.All(c => char.IsAsciiDigit(c) || c is '.' or '-' or '+' or 'e' or 'E')
            && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        }
        return t;
    }

    private static IEnumerable<string> SplitTopLevel(string inner)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            switch (inner[i])
            {
                case '[' or '{': depth++; break;
                case ']' or '}': depth--; break;
                case ',' when depth == 0:
                    yield return inner[start..i];
                    start = i + 1;
                    break;
            }
        }
        yield return inner[start..];
    }

    private static void FlattenJson(JsonElement element, string prefix, Dictionary<string, double> into)
    {
        foreach (var property in element.EnumerateObject())
        {
            var key = prefix.Length == 0 ? property.Name : prefix + "." + property.Name;
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.Number:
                    into[key] = property.Value.GetDouble();
                    break;
                case JsonValueKind.Object:
                    FlattenJson(property.Value, key, into);
                    break;
            }
        }
    }

    private static void FlattenYaml(string path, Dictionary<string, string> into)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(File.ReadAllText(path));
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}({e.Start.Line},{e.Start.Column}): {e.Message}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return;
        Flatten(root, "", into);
    }

    private static void Flatten(YamlMappingNode mapping, string prefix, Dictionary<string, string> into)
    {
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = prefix.Length == 0 ? ((YamlScalarNode)keyNode).Value ?? "" : prefix + "." + ((YamlScalarNode)keyNode).Value;
            if (valueNode is YamlMappingNode { Style: not YamlDotNet.Core.Events.MappingStyle.Flow } nested)
            {
                // A config section (block mapping) nests; a map-valued key such as rank_pattern is written in flow style.
                Flatten(nested, key, into);
            }
            else
            {
                into[key] = YamlText(valueNode);
            }
        }
    }

    /// <summary>A YAML node as canonical text (scalars via <see cref="Canonical"/>, sequences as <c>[a, b]</c>, maps as <c>{k: v}</c>).</summary>
    internal static string YamlText(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted ? s.Value ?? "" : Canonical(s.Value ?? ""),
        YamlSequenceNode seq => "[" + string.Join(", ", seq.Children.Select(YamlText)) + "]",
        YamlMappingNode map => "{" + string.Join(", ", map.Children.Select(kv => YamlText(kv.Key) + ": " + YamlText(kv.Value))) + "}",
        _ => "",
    };
}
