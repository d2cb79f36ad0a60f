using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LowRankTrainer.Config;

/// <summary>
/// Writes a resolved config as YAML: every key of every section with its value (defaults included),
/// snake_case, in the schema's stable order. The text loads back to an equal config; every run saves
/// it as <c>config.yaml</c>.
/// </summary>
public static partial class ConfigWriter
{
    /// <summary>The config as YAML text.</summary>
    public static string Write(ExperimentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sb = new StringBuilder();
        sb.Append("name: ").Append(config.Name is null ? "null" : String(config.Name)).Append('\n');
        foreach (var section in ConfigSchema.Sections)
        {
            sb.Append(section.Key).Append(":\n");
            var record = section.Get(config);
            string? subsection = null;
            foreach (var field in section.Fields)
            {
                var dot = field.Key.IndexOf('.', StringComparison.Ordinal);
                if (dot < 0)
                {
                    sb.Append("  ").Append(field.Key).Append(": ").Append(Value(field.Get(record))).Append('\n');
                    continue;
                }
                // A nested subsection (loss.matryoshka): its fields are listed together in the schema.
                if (field.Key[..dot] != subsection)
                {
                    subsection = field.Key[..dot];
                    sb.Append("  ").Append(subsection).Append(":\n");
                }
                sb.Append("    ").Append(field.Key[(dot + 1)..]).Append(": ").Append(Value(field.Get(record))).Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Write"/>'s text to <paramref name="path"/> (UTF-8, LF line ends).</summary>
    public static void Save(ExperimentConfig config, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllText(path, Write(config), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    private static string Value(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => Number(d),
        string s => String(s),
        IReadOnlyDictionary<string, int> map => "{" + string.Join(", ", map.Select(kv => String(kv.Key) + ": " + kv.Value.ToString(CultureInfo.InvariantCulture))) + "}",
        IReadOnlyDictionary<string, double> map => "{" + string.Join(", ", map.Select(kv => String(kv.Key) + ": " + Number(kv.Value))) + "}",
        IEnumerable<double> doubles => "[" + string.Join(", ", doubles.Select(Number)) + "]",
        IEnumerable<int> ints => "[" + string.Join(", ", ints.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]",
        IEnumerable<string> strings => "[" + string.Join(", ", strings.Select(String)) + "]",
        _ => throw new InvalidOperationException($"no YAML form for {value.GetType().Name}"),
    };

    /// <summary>Shortest round-trip form, lower-case exponent (1e-08), whole numbers as 2.0, and ".inf" for infinities.</summary>
    private static string Number(double d)
    {
        if (double.IsPositiveInfinity(d)) return ".inf";
        if (double.IsNegativeInfinity(d)) return "-.inf";
        var text = d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        return text.AsSpan().IndexOfAny('.', 'e') < 0 ? text + ".0" : text;
    }

    /// <summary>Plain when unambiguous; double-quoted when YAML (1.1 or 1.2) could read it as something else.</summary>
    private static string String(string s)
    {
        var plain = PlainSafe().IsMatch(s)
            && !ReservedWords().IsMatch(s)
            && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        if (plain) return s;
        var sb = new StringBuilder("\"");
        foreach (var ch in s)
        {
            sb.Append(ch switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(ch) => $"\\u{(int)ch:x4}",
                _ => ch.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    [GeneratedRegex(@"^[A-Za-z0-9_./][A-Za-z0-9_./:+-]*$")]
    private static partial Regex PlainSafe();

    [GeneratedRegex(@"^(?i:null|~|true|false|yes|no|on|off|y|n|\.inf|-\.inf|\.nan)$")]
    private static partial Regex ReservedWords();
}
