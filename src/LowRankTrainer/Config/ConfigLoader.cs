using System.Globalization;

namespace LowRankTrainer.Config;

/// <summary>
/// Loads an experiment YAML strictly: parse with positions → resolve <c>base:</c> → apply
/// <c>a.b=value</c> overrides → map onto the option records (unknown, duplicate and mistyped keys
/// are errors) → range, choice and cross-field checks. User errors come back as diagnostics with
/// file(line,col) or the override's position; only I/O failures throw.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Loads <paramref name="path"/>, applying <paramref name="overrides"/> (<c>a.b=value</c>, later wins).</summary>
    /// <exception cref="IOException">A file exists but cannot be read.</exception>
    public static ConfigLoadResult Load(string path, IReadOnlyList<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var diagnostics = new List<ConfigDiagnostic>();
        var root = LoadFile(path, path, includedFrom: null, chain: [], diagnostics);
        if (root is null) return new(null, diagnostics);
        ApplyOverrides(root, overrides ?? [], diagnostics);
        var stem = Path.GetFileNameWithoutExtension(path);
        var (config, locations) = Map(root, diagnostics);
        if (config.Name is null) config = config with { Name = stem };
        if (diagnostics.Count > 0) return new(null, diagnostics);
        // Semantic checks run only on a structurally sound config, so they never report knock-on errors.
        diagnostics.AddRange(ConfigValidator.Validate(config, locations, ConfigLocation.InFile(path, 0, 0)));
        return new(diagnostics.Count == 0 ? config : null, diagnostics);
    }

    // ---- 1. files and base: ----------------------------------------------------------------

    private static MappingNode? LoadFile(string display, string rootDisplay, ConfigLocation? includedFrom, List<string> chain, List<ConfigDiagnostic> diagnostics)
    {
        var full = Path.GetFullPath(display);
        if (chain.Contains(full))
        {
            var cycle = string.Join(" -> ", chain.Append(full).SkipWhile(p => p != full).Select(Path.GetFileName));
            diagnostics.Add(new(includedFrom!, ConfigErrorCodes.BaseCycle, $"base: inheritance cycle: {cycle}"));
            return null;
        }
        if (!File.Exists(full))
        {
            diagnostics.Add(includedFrom is null
                ? new(ConfigLocation.InFile(display, 0, 0), ConfigErrorCodes.FileNotFound, $"config file not found: {display}")
                : new(includedFrom, ConfigErrorCodes.FileNotFound, $"base file not found: {display}"));
            return null;
        }
        var text = File.ReadAllText(full);
        var node = YamlTreeReader.Read(text, m => ConfigLocation.InFile(display, (int)m.Line, (int)m.Column), diagnostics);
        if (node is null) return null;
        if (node is ScalarNode { IsNull: true }) node = new MappingNode(node.Location);
        if (node is not MappingNode map)
        {
            diagnostics.Add(new(node.Location, ConfigErrorCodes.Syntax, "a config file must be a mapping of sections (model:, train:, ...)"));
            return null;
        }
        var baseIndex = map.IndexOf(ConfigSchema.BaseKey);
        if (baseIndex < 0) return map;
        var baseValue = map.Entries[baseIndex].Value;
        map.Entries.RemoveAt(baseIndex);
        if (baseValue is not ScalarNode { IsNull: false } baseScalar)
        {
            diagnostics.Add(new(baseValue.Location, ConfigErrorCodes.WrongType, $"base: expected the path of a config file, got {Describe(baseValue)}"));
            return map;
        }
        if (baseScalar.Value.Contains('\0', StringComparison.Ordinal))
        {
            // Path.GetFullPath throws on a NUL ("\0" in a quoted scalar); no file can be named so.
            diagnostics.Add(new(baseScalar.Location, ConfigErrorCodes.FileNotFound, "base file not found: the path contains a NUL character"));
            return map;
        }
        var basePath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(full) ?? ".", baseScalar.Value));
        var baseDisplay = Path.IsPathRooted(rootDisplay) ? basePath : Path.GetRelativePath(Environment.CurrentDirectory, basePath);
        var baseMap = LoadFile(baseDisplay, rootDisplay, baseScalar.Location, [.. chain, full], diagnostics);
        return baseMap is null ? map : Merge(baseMap, map);
    }

    /// <summary>The child's keys override the base's; mappings merge recursively, everything else (lists too) replaces.</summary>
    private static MappingNode Merge(MappingNode baseMap, MappingNode child)
    {
        var merged = new MappingNode(child.Location);
        merged.Entries.AddRange(baseMap.Entries);
        foreach (var (key, value) in child.Entries)
        {
            var i = merged.IndexOf(key.Value);
            if (i < 0) merged.Entries.Add(new(key, value));
            else if (merged.Entries[i].Value is MappingNode baseSection && value is MappingNode childSection) merged.Entries[i] = new(key, Merge(baseSection, childSection));
            else merged.Entries[i] = new(key, value);
        }
        return merged;
    }

    // ---- 2. overrides ----------------------------------------------------------------------

    private static void ApplyOverrides(MappingNode root, IReadOnlyList<string> overrides, List<ConfigDiagnostic> diagnostics)
    {
        for (var n = 0; n < overrides.Count; n++)
        {
            var token = overrides[n];
            var at = ConfigLocation.ForOverride(n + 1, token);
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            var keyPath = eq < 0 ? "" : token[..eq].Trim();
            var segments = keyPath.Split('.');
            if (eq <= 0 || segments.Any(s => s.Length == 0))
            {
                diagnostics.Add(new(at, ConfigErrorCodes.BadOverride, "an override must look like section.key=value (e.g. train.learning_rate=3e-4)"));
                continue;
            }
            if (segments[0] == ConfigSchema.BaseKey)
            {
                diagnostics.Add(new(at, ConfigErrorCodes.BadOverride, "base: cannot be overridden from the command line"));
                continue;
            }
            var valueText = token[(eq + 1)..];
            ConfigNode? value;
            if (string.IsNullOrWhiteSpace(valueText))
            {
                value = new ScalarNode(at, "", quoted: false);
            }
            else
            {
                var valueDiagnostics = new List<ConfigDiagnostic>();
                value = YamlTreeReader.Read(valueText, _ => at, valueDiagnostics);
                if (value is null)
                {
                    var reason = valueDiagnostics.Count > 0 ? valueDiagnostics[0].Message.Replace("malformed YAML: ", "", StringComparison.Ordinal) : "not valid YAML";
                    diagnostics.Add(new(at, ConfigErrorCodes.BadOverride, $"the value of '{keyPath}' is not a YAML value: {reason}"));
                    continue;
                }
            }
            var map = root;
            var walked = new List<string>();
            var ok = true;
            foreach (var segment in segments[..^1])
            {
                walked.Add(segment);
                var i = map.IndexOf(segment);
                if (i < 0 || map.Entries[i].Value is ScalarNode { IsNull: true })
                {
                    var section = new MappingNode(at);
                    var key = i < 0 ? new ScalarNode(at, segment, quoted: false) : map.Entries[i].Key;
                    if (i < 0) map.Entries.Add(new(key, section));
                    else map.Entries[i] = new(key, section);
                    map = section;
                }
                else if (map.Entries[i].Value is MappingNode section)
                {
                    map = section;
                }
                else
                {
                    diagnostics.Add(new(at, ConfigErrorCodes.BadOverride, $"'{string.Join('.', walked)}' is a value, not a section, so '{keyPath}' does not exist"));
                    ok = false;
                    break;
                }
            }
            if (!ok) continue;
            var last = segments[^1];
            var j = map.IndexOf(last);
            if (j < 0) map.Entries.Add(new(new ScalarNode(at, last, quoted: false), value));
            else map.Entries[j] = new(map.Entries[j].Key, value);
        }
    }

    // ---- 3. strict mapping onto the records -----------------------------------------------------

    private static (ExperimentConfig Config, Dictionary<string, ConfigLocation> Locations) Map(MappingNode root, List<ConfigDiagnostic> diagnostics)
    {
        var config = new ExperimentConfig();
        var locations = new Dictionary<string, ConfigLocation>(StringComparer.Ordinal);
        foreach (var (key, value) in root.Entries)
        {
            locations[key.Value] = Origin(key, value);
            if (key.Value == ConfigSchema.NameKey)
            {
                if (TryConvert(value, ValueKind.NullableString, out var name, out var errorAt, out var error)) config = config with { Name = (string?)name };
                else diagnostics.Add(new(errorAt, ConfigErrorCodes.WrongType, $"name: {error}"));
                continue;
            }
            var section = ConfigSchema.Section(key.Value);
            if (section is null)
            {
                diagnostics.Add(new(key.Location, ConfigErrorCodes.UnknownKey, UnknownKeyMessage(key.Value, "", ConfigSchema.TopLevelKeys)));
                continue;
            }
            if (value is ScalarNode { IsNull: true }) continue; // "eval:" with nothing under it keeps the defaults
            if (value is not MappingNode map)
            {
                diagnostics.Add(new(value.Location, ConfigErrorCodes.WrongType, $"{section.Key}: expected a mapping of keys, got {Describe(value)}"));
                continue;
            }
            var record = section.Get(config);
            foreach (var (fieldKey, fieldValue) in Flatten(section, map, diagnostics))
            {
                var path = section.Key + "." + fieldKey.Value;
                var field = section.Field(fieldKey.Value);
                if (field is null)
                {
                    diagnostics.Add(new(fieldKey.Location, ConfigErrorCodes.UnknownKey,
                        UnknownKeyMessage(fieldKey.Value, section.Key + ".", section.Fields.Select(f => f.Key))));
                    continue;
                }
                locations[path] = Origin(fieldKey, fieldValue);
                if (fieldValue is SequenceNode seq)
                {
                    for (var i = 0; i < seq.Items.Count; i++) locations[$"{path}[{i}]"] = seq.Items[i].Location;
                }
                if (TryConvert(fieldValue, field.Kind, out var converted, out var errorAt, out var error)) record = field.Set(record, converted);
                else diagnostics.Add(new(errorAt, ConfigErrorCodes.WrongType, $"{path}: {error}"));
            }
            config = section.Set(config, record);
        }
        return (config, locations);
    }

    /// <summary>
    /// The entries of a section with nested subsections (<c>matryoshka: {dims: …}</c>) spelled as dotted keys
    /// (<c>matryoshka.dims</c>), so they map like any other field; an empty subsection keeps its defaults.
    /// </summary>
    private static IEnumerable<(ScalarNode Key, ConfigNode Value)> Flatten(SectionSpec section, MappingNode map, List<ConfigDiagnostic> diagnostics)
    {
        foreach (var (key, value) in map.Entries)
        {
            if (!section.IsSubsection(key.Value))
            {
                yield return (key, value);
                continue;
            }
            if (value is ScalarNode { IsNull: true }) continue;
            if (value is not MappingNode sub)
            {
                diagnostics.Add(new(value.Location, ConfigErrorCodes.WrongType, $"{section.Key}.{key.Value}: expected a mapping of keys, got {Describe(value)}"));
                continue;
            }
            foreach (var (subKey, subValue) in sub.Entries)
            {
                yield return (new ScalarNode(subKey.Location, key.Value + "." + subKey.Value, subKey.Quoted), subValue);
            }
        }
    }

    /// <summary>Where a key's value came from: the override that set it, else the key in its file.</summary>
    private static ConfigLocation Origin(ScalarNode key, ConfigNode value) => value.Location.IsOverride ? value.Location : key.Location;

    /// <summary>
    /// "unknown key 'train.lr' (did you mean 'train.learning_rate'?)": another tool's name for the key,
    /// else the closest key of the same section, else the same key in another section (HF keeps
    /// logging_steps in TrainingArguments; here it is logging.logging_steps).
    /// </summary>
    private static string UnknownKeyMessage(string key, string prefix, IEnumerable<string> known)
    {
        var suggestion = ConfigSchema.OtherToolNames.GetValueOrDefault(prefix + key)
            ?? (DidYouMean.Suggest(key, known) is { } near ? prefix + near : null)
            ?? ConfigSchema.Sections.Where(s => s.Field(key) is not null).Select(s => s.Key + "." + key).FirstOrDefault();
        return suggestion is null
            ? $"unknown key '{prefix}{key}' (known keys: {string.Join(", ", known.Select(k => prefix + k))})"
            : $"unknown key '{prefix}{key}' (did you mean '{suggestion}'?)";
    }

    internal static string Describe(ConfigNode node) => node switch
    {
        ScalarNode { IsNull: true } => "null",
        ScalarNode s => $"'{s.Value}'",
        SequenceNode => "a list",
        _ => "a mapping",
    };

    private static bool TryConvert(ConfigNode node, ValueKind kind, out object? value, out ConfigLocation errorAt, out string error)
    {
        value = null;
        errorAt = node.Location;
        error = "";
        if (kind == ValueKind.TargetList && node is ScalarNode { IsNull: false } single)
        {
            if (!single.Quoted && single.Value is "all-linear" or "all")
            {
                value = new[] { single.Value };
                return true;
            }
            error = $"expected a list of module names or the string all-linear (or all: every Linear, the head included, and for intrinsic every Conv2d), got {Describe(single)} (a regular expression goes in adapter.target_regex)";
            return false;
        }
        if (kind is ValueKind.IntMap or ValueKind.DoubleMap)
        {
            if (node is ScalarNode { IsNull: true })
            {
                value = kind == ValueKind.IntMap ? new Dictionary<string, int>() : new Dictionary<string, double>();
                return true;
            }
            if (node is not MappingNode mapping)
            {
                error = $"expected a mapping such as {{key: value}}, got {Describe(node)}";
                return false;
            }
            var itemKind = kind == ValueKind.IntMap ? ValueKind.Int : ValueKind.Double;
            var ints = new Dictionary<string, int>(StringComparer.Ordinal);
            var doubles = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (k, v) in mapping.Entries)
            {
                if (!TryConvert(v, itemKind, out var item, out errorAt, out error))
                {
                    error = $"'{k.Value}': {error}";
                    return false;
                }
                if (kind == ValueKind.IntMap) ints[k.Value] = (int)item!;
                else doubles[k.Value] = (double)item!;
            }
            value = kind == ValueKind.IntMap ? ints : doubles;
            return true;
        }
        if (kind is ValueKind.IntList or ValueKind.DoubleList or ValueKind.StringList or ValueKind.TargetList)
        {
            if (node is ScalarNode { IsNull: true })
            {
                value = kind switch { ValueKind.IntList => Array.Empty<int>(), ValueKind.DoubleList => Array.Empty<double>(), _ => (object)Array.Empty<string>() };
                return true;
            }
            if (node is not SequenceNode seq)
            {
                error = $"expected a list such as [a, b], got {Describe(node)}";
                return false;
            }
            var listItemKind = kind switch { ValueKind.IntList => ValueKind.Int, ValueKind.DoubleList => ValueKind.Double, _ => ValueKind.String };
            var items = new List<object?>();
            foreach (var item in seq.Items)
            {
                if (!TryConvert(item, listItemKind, out var v, out errorAt, out error))
                {
                    error = $"list item: {error}";
                    return false;
                }
                items.Add(v);
            }
            value = kind switch
            {
                ValueKind.IntList => items.Cast<int>().ToArray(),
                ValueKind.DoubleList => items.Cast<double>().ToArray(),
                _ => (object)items.Cast<string>().ToArray(),
            };
            return true;
        }
        if (node is not ScalarNode scalar)
        {
            error = $"expected {Expected(kind)}, got {Describe(node)}";
            return false;
        }
        if (scalar.IsNull && kind is ValueKind.NullableInt or ValueKind.NullableDouble or ValueKind.NullableString) return true;
        var text = scalar.Value;
        switch (kind)
        {
            case ValueKind.String or ValueKind.NullableString when !scalar.IsNull:
                value = text;
                return true;
            case ValueKind.Int or ValueKind.NullableInt when !scalar.Quoted
                && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l):
                if (l is >= int.MinValue and <= int.MaxValue)
                {
                    value = (int)l;
                    return true;
                }
                error = $"expected an integer, got '{text}' (too large)";
                return false;
            case ValueKind.Double or ValueKind.NullableDouble when !scalar.Quoted && TryParseDouble(text, out var d):
                value = d;
                return true;
            case ValueKind.Bool when !scalar.Quoted && text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE":
                value = text[0] is 't' or 'T';
                return true;
            default:
                error = $"expected {Expected(kind)}, got {Describe(scalar)}";
                return false;
        }
    }

    private static bool TryParseDouble(string text, out double value)
    {
        switch (text)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf":
                value = double.PositiveInfinity;
                return true;
            case "-.inf" or "-.Inf" or "-.INF":
                value = double.NegativeInfinity;
                return true;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    private static string Expected(ValueKind kind) => kind switch
    {
        ValueKind.Int => "an integer",
        ValueKind.NullableInt => "an integer or null",
        ValueKind.Double => "a number",
        ValueKind.NullableDouble => "a number or null",
        ValueKind.Bool => "true or false",
        ValueKind.String => "a string",
        ValueKind.NullableString => "a string or null",
        _ => "a list",
    };
}
