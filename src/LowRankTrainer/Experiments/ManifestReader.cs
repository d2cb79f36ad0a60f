using System.Globalization;
using System.Text.RegularExpressions;
using LowRankTrainer.Config;
using LowRankTrainer.Runs;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LowRankTrainer.Experiments;

/// <summary>
/// Reads <c>experiment.yaml</c>. Every error is an <see cref="InvalidDataException"/> whose message starts with
/// <c>file(line,col):</c> and names the key, with a suggestion for a misspelt one; nothing runs before the whole
/// manifest (and every config it names) has been read.
/// </summary>
public static partial class ManifestReader
{
    private static readonly string[] TopKeys = ["title", "paper", "names", "labels", "quick", "groups", "tables", "plots"];
    private static readonly string[] GroupKeys = ["name", "config", "set", "grid", "zip", "inputs", "quick"];
    private static readonly string[] QuickKeys = ["set", "grid", "skip"];
    private static readonly string[] TableKeys = ["name", "title", "groups", "where", "rows", "columns", "best", "x", "metric", "thresholds", "seed_key"];
    private static readonly string[] ColumnKeys = ["metric", "label", "scale", "digits", "aggregate", "pivot", "groups", "where"];
    private static readonly string[] LayerKeys = ["groups", "where", "x", "y", "series", "best"];
    private static readonly string[] ThresholdKeys = ["label", "value", "baseline", "fraction", "match"];
    private static readonly string[] BestKeys = ["key", "by", "maximize"];
    private static readonly string[] PlotKeys = ["name", "title", "groups", "where", "x", "y", "series", "x_label", "y_label", "log_x", "log_y", "y_scale", "best", "references", "layers"];
    private static readonly string[] ReferenceKeys = ["label", "groups", "where", "fraction", "value"];

    /// <summary>Reads the manifest of the experiment folder <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">The manifest is missing or wrong (the message names file, line and key).</exception>
    public static ExperimentManifest Read(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var path = Path.Combine(folder, ExperimentManifest.FileName);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such file (an experiment folder holds {ExperimentManifest.FileName})");
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(File.ReadAllText(path));
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{path}({e.Start.Line},{e.Start.Column}): {e.Message}", e);
        }
        var r = new Reader(path);
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root) throw r.Error(null, "the manifest must be one YAML mapping");
        r.Keys(root, TopKeys, "the manifest");
        var names = r.StringMap(root, "names");
        var labels = r.StringMap(root, "labels");
        var (quickSet, quickGrid, _) = r.Quick(r.Mapping(root, "quick"), allowSkip: false);

        var groups = new List<RunGroup>();
        var groupsNode = r.Sequence(root, "groups") ?? throw r.Error(root, "the manifest needs groups (the runs)");
        foreach (var node in groupsNode.Children)
        {
            var g = r.AsMapping(node, "groups[]");
            r.Keys(g, GroupKeys, "a group");
            var name = r.Required(g, "name");
            if (!FolderSafe().IsMatch(name)) throw r.Error(g["name"], $"group name '{name}' must be letters, digits, '_' or '-'");
            if (groups.Any(x => x.Name == name)) throw r.Error(g["name"], $"group '{name}' is defined twice");
            var config = r.Required(g, "config");
            var configPath = Path.Combine(folder, config);
            if (!File.Exists(configPath)) throw r.Error(g["config"], $"group {name}: config {config} does not exist (looked for {configPath})");
            var inputs = r.StringMap(g, "inputs");
            foreach (var (key, source) in inputs)
            {
                if (groups.All(x => x.Name != source)) throw r.Error(g, $"group {name}: inputs.{key} names '{source}', which is not an earlier group");
            }
            var (qs, qg, skip) = r.Quick(r.Mapping(g, "quick"), allowSkip: true);
            var zip = r.Axes(g, "zip");
            var zipLengths = zip.Select(z => SweepPlan.Parse([z]).Axes[0].Values.Count).Distinct().ToList();
            if (zipLengths.Count > 1) throw r.Error(g["zip"], $"group {name}: the zip lists must have one length (they vary together); got {string.Join(", ", zipLengths)}");
            groups.Add(new RunGroup(name, config, r.Overrides(g, "set"), r.Axes(g, "grid"), zip, inputs, qs, qg, skip));
        }
        var groupNames = groups.Select(x => x.Name).ToList();

        var tables = new List<TableSpec>();
        foreach (var node in r.Sequence(root, "tables")?.Children ?? [])
        {
            var t = r.AsMapping(node, "tables[]");
            r.Keys(t, TableKeys, "a table");
            var name = r.Required(t, "name");
            if (tables.Any(x => x.Name == name)) throw r.Error(t["name"], $"table '{name}' is defined twice");
            var columns = new List<ColumnSpec>();
            foreach (var c in r.Sequence(t, "columns")?.Children ?? [])
            {
                var cm = r.AsMapping(c, $"table {name}: columns[]");
                r.Keys(cm, ColumnKeys, "a column");
                var metric = r.Required(cm, "metric");
                var aggregate = r.Optional(cm, "aggregate") ?? "mean";
                if (aggregate is not ("mean" or "first")) throw r.Error(cm["aggregate"], $"table {name}: aggregate is mean or first, not '{aggregate}'");
                var columnFilter = r.Filter(cm, groupNames, $"table {name}: column {metric}");
                columns.Add(new ColumnSpec(metric, r.Optional(cm, "label") ?? metric, r.Double(cm, "scale") ?? 1, (int)(r.Double(cm, "digits") ?? 4), aggregate,
                    r.Optional(cm, "pivot"), columnFilter.Groups.Count + columnFilter.Where.Count > 0 ? columnFilter : null));
            }
            var thresholds = new List<ThresholdSpec>();
            foreach (var th in r.Sequence(t, "thresholds")?.Children ?? [])
            {
                var tm = r.AsMapping(th, $"table {name}: thresholds[]");
                r.Keys(tm, ThresholdKeys, "a threshold");
                var baseline = r.StringList(tm, "baseline");
                var value = r.Double(tm, "value");
                if ((baseline.Count == 0) == (value is null)) throw r.Error(tm, $"table {name}: a threshold has either value (absolute) or baseline (groups), not {(baseline.Count == 0 ? "neither" : "both")}");
                if (baseline.FirstOrDefault(b => !groupNames.Contains(b)) is { } unknown) throw r.Error(tm["baseline"], $"table {name}: baseline '{unknown}' is not a group");
                thresholds.Add(new ThresholdSpec(r.Required(tm, "label"), value, baseline, r.Double(tm, "fraction") ?? 1, r.StringList(tm, "match")));
            }
            var x = r.Optional(t, "x");
            var thresholdMetric = r.Optional(t, "metric");
            if (thresholds.Count > 0 && (x is null || thresholdMetric is null)) throw r.Error(t, $"table {name}: thresholds need x and metric");
            if (thresholds.Count == 0 && columns.Count == 0) throw r.Error(t, $"table {name}: give columns (or thresholds with x and metric)");
            tables.Add(new TableSpec(name, r.Optional(t, "title") ?? name, r.Filter(t, groupNames, $"table {name}"), r.StringList(t, "rows"), columns,
                r.Best(t), x, thresholdMetric, thresholds.Count > 0 ? thresholds : null, r.Optional(t, "seed_key") ?? "train.seed"));
        }

        var plots = new List<PlotSpec>();
        foreach (var node in r.Sequence(root, "plots")?.Children ?? [])
        {
            var p = r.AsMapping(node, "plots[]");
            r.Keys(p, PlotKeys, "a plot");
            var name = r.Required(p, "name");
            if (!FolderSafe().IsMatch(name)) throw r.Error(p["name"], $"plot name '{name}' must be letters, digits, '_' or '-' (it is a file name)");
            if (plots.Any(x => x.Name == name)) throw r.Error(p["name"], $"plot '{name}' is defined twice");
            var references = new List<ReferenceLineSpec>();
            foreach (var rn in r.Sequence(p, "references")?.Children ?? [])
            {
                var rm = r.AsMapping(rn, $"plot {name}: references[]");
                r.Keys(rm, ReferenceKeys, "a reference line");
                var runs = r.Filter(rm, groupNames, $"plot {name}: reference");
                var value = r.Double(rm, "value");
                if ((runs.Groups.Count == 0) == (value is null)) throw r.Error(rm, $"plot {name}: a reference line has either value or groups (with an optional where)");
                references.Add(new ReferenceLineSpec(r.Required(rm, "label"), value is null ? runs : null, r.Double(rm, "fraction") ?? 1, value));
            }
            var layers = new List<PlotLayer>();
            foreach (var ln in r.Sequence(p, "layers")?.Children ?? [])
            {
                var lm = r.AsMapping(ln, $"plot {name}: layers[]");
                r.Keys(lm, LayerKeys, "a plot layer");
                layers.Add(new PlotLayer(r.Filter(lm, groupNames, $"plot {name}: layer"), r.Required(lm, "x"), r.Required(lm, "y"), r.StringList(lm, "series"), r.Best(lm)));
            }
            var y = r.Required(p, "y");
            plots.Add(new PlotSpec(name, r.Optional(p, "title") ?? name, r.Filter(p, groupNames, $"plot {name}"), r.Required(p, "x"), y,
                r.StringList(p, "series"), r.Optional(p, "x_label") ?? r.Required(p, "x"), r.Optional(p, "y_label") ?? y,
                r.Bool(p, "log_x") ?? false, r.Bool(p, "log_y") ?? false, r.Double(p, "y_scale") ?? 1, r.Best(p), references, layers));
        }

        return new ExperimentManifest(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), folder,
            r.Optional(root, "title") ?? "", r.Optional(root, "paper") ?? "", groups, quickSet, quickGrid, tables, plots, names, labels);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex FolderSafe();

    /// <summary>Node access with errors that name the file, position and key.</summary>
    private sealed class Reader(string path)
    {
        public InvalidDataException Error(YamlNode? node, string message) =>
            new(node is null ? $"{path}: {message}" : $"{path}({node.Start.Line},{node.Start.Column}): {message}");

        public void Keys(YamlMappingNode node, string[] known, string what)
        {
            foreach (var key in node.Children.Keys)
            {
                var name = ((YamlScalarNode)key).Value ?? "";
                if (known.Contains(name)) continue;
                var suggestion = DidYouMean.Suggest(name, known);
                throw Error(key, $"unknown key '{name}' in {what}{(suggestion is null ? "" : $" (did you mean '{suggestion}'?)")}; known: {string.Join(", ", known)}");
            }
        }

        public YamlMappingNode AsMapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping");

        public YamlMappingNode? Mapping(YamlMappingNode parent, string key) => Get(parent, key) switch
        {
            null => null,
            YamlMappingNode m => m,
            var other => throw Error(other, $"{key} must be a mapping"),
        };

        public YamlSequenceNode? Sequence(YamlMappingNode parent, string key) => Get(parent, key) switch
        {
            null => null,
            YamlSequenceNode s => s,
            var other => throw Error(other, $"{key} must be a list"),
        };

        public string? Optional(YamlMappingNode parent, string key) => Get(parent, key) switch
        {
            null => null,
            YamlScalarNode s => s.Value,
            var other => throw Error(other, $"{key} must be a single value"),
        };

        public string Required(YamlMappingNode parent, string key) =>
            Optional(parent, key) is { Length: > 0 } v ? v : throw Error(parent, $"missing key '{key}'");

        public double? Double(YamlMappingNode parent, string key)
        {
            var text = Optional(parent, key);
            if (text is null) return null;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Error(parent[key], $"{key} must be a number, not '{text}'");
        }

        public bool? Bool(YamlMappingNode parent, string key) => Optional(parent, key) switch
        {
            null => null,
            "true" => true,
            "false" => false,
            var other => throw Error(parent[key], $"{key} must be true or false, not '{other}'"),
        };

        public List<string> StringList(YamlMappingNode parent, string key) => Get(parent, key) switch
        {
            null => [],
            YamlScalarNode s => [s.Value ?? ""],
            YamlSequenceNode seq => seq.Children.Select(c => c is YamlScalarNode s ? s.Value ?? "" : throw Error(c, $"{key} holds names, not lists")).ToList(),
            var other => throw Error(other, $"{key} must be a list of names"),
        };

        public Dictionary<string, string> StringMap(YamlMappingNode parent, string key)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in Entries(Mapping(parent, key)))
            {
                map[((YamlScalarNode)k).Value ?? ""] = v is YamlScalarNode s ? s.Value ?? "" : throw Error(v, $"{key}.{k} must be a single value");
            }
            return map;
        }

        /// <summary><c>set: {key: value}</c> as <c>key=value</c> override tokens (quoted strings stay quoted).</summary>
        public List<string> Overrides(YamlMappingNode parent, string key) =>
            Entries(Mapping(parent, key)).Select(kv => $"{ConfigKey(kv.Key)}={OverrideText(kv.Value)}").ToList();

        /// <summary><c>grid: {key: [v1, v2]}</c> as <c>key=[v1, v2]</c> sweep tokens.</summary>
        public List<string> Axes(YamlMappingNode parent, string key)
        {
            var axes = new List<string>();
            foreach (var (k, v) in Entries(Mapping(parent, key)))
            {
                if (v is not YamlSequenceNode { Children.Count: > 0 } values) throw Error(v, $"{key}.{k} must be a non-empty list of values");
                axes.Add($"{ConfigKey(k)}=[{string.Join(", ", values.Children.Select(OverrideText))}]");
            }
            return axes;
        }

        public (IReadOnlyList<string> Set, IReadOnlyList<string> Grid, bool Skip) Quick(YamlMappingNode? quick, bool allowSkip)
        {
            if (quick is null) return ([], [], false);
            Keys(quick, allowSkip ? QuickKeys : QuickKeys[..2], "quick");
            return (Overrides(quick, "set"), Axes(quick, "grid"), Bool(quick, "skip") ?? false);
        }

        public RunFilter Filter(YamlMappingNode parent, IReadOnlyList<string> groups, string what)
        {
            var selected = StringList(parent, "groups");
            foreach (var g in selected)
            {
                if (!groups.Contains(g)) throw Error(parent["groups"], $"{what}: '{g}' is not a group (groups: {string.Join(", ", groups)})");
            }
            var where = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var (k, v) in Entries(Mapping(parent, "where")))
            {
                IReadOnlyList<string> values = v is YamlSequenceNode seq ? seq.Children.Select(RunRecord.YamlText).ToList() : [RunRecord.YamlText(v)];
                where[ConfigKey(k)] = values;
            }
            return new RunFilter(selected, where);
        }

        public BestSpec? Best(YamlMappingNode parent)
        {
            if (Mapping(parent, "best") is not { } b) return null;
            Keys(b, BestKeys, "best");
            return new BestSpec(Required(b, "key"), Required(b, "by"), Bool(b, "maximize") ?? true);
        }

        private string ConfigKey(YamlNode key) => key is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Error(key, "a key must be a name");

        private static IEnumerable<KeyValuePair<YamlNode, YamlNode>> Entries(YamlMappingNode? node) =>
            node is null ? [] : node.Children;

        private static YamlNode? Get(YamlMappingNode parent, string key) =>
            parent.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        private static string OverrideText(YamlNode node) => node switch
        {
            YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } s => "\"" + (s.Value ?? "").Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
            YamlScalarNode s => s.Value ?? "",
            YamlSequenceNode seq => "[" + string.Join(", ", seq.Children.Select(OverrideText)) + "]",
            YamlMappingNode map => "{" + string.Join(", ", map.Children.Select(kv => OverrideText(kv.Key) + ": " + OverrideText(kv.Value))) + "}",
            _ => "",
        };
    }
}
