using System.Text;
using LowRankTrainer.Config;

namespace LowRankTrainer.Runs;

/// <summary>One swept key and its values, as YAML texts (<c>adapter.d</c>: <c>50</c>, <c>100</c>, …).</summary>
public sealed record SweepAxis(string Key, IReadOnlyList<string> Values);

/// <summary>
/// What <c>lrt sweep</c> runs: the grid (Cartesian product, W&amp;B's <c>method: grid</c>) of the axes given as
/// <c>key=[v1,v2,...]</c>, each combination on top of the plain <c>key=value</c> overrides. A list-valued key
/// (<c>model.hidden_sizes</c>) is swept with a list of lists, <c>model.hidden_sizes=[[200],[200,200]]</c>; a single
/// list stays a plain override.
/// </summary>
public sealed class SweepPlan
{
    private SweepPlan(IReadOnlyList<string> overrides, IReadOnlyList<SweepAxis> axes)
    {
        Overrides = overrides;
        Axes = axes;
    }

    /// <summary>Overrides applied to every run.</summary>
    public IReadOnlyList<string> Overrides { get; }

    /// <summary>The swept keys, in command-line order (the last varies fastest).</summary>
    public IReadOnlyList<SweepAxis> Axes { get; }

    /// <summary>Splits <paramref name="tokens"/> (after the config path) into overrides and axes.</summary>
    /// <exception cref="ArgumentException">A token is not key=value, a list is empty or unbalanced, or a key is swept twice.</exception>
    public static SweepPlan Parse(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var overrides = new List<string>();
        var axes = new List<SweepAxis>();
        foreach (var token in tokens)
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"'{token}' is not key=value or key=[v1,v2,...]");
            var key = token[..eq].Trim();
            var value = token[(eq + 1)..].Trim();
            var isList = value.StartsWith('[') && value.EndsWith(']');
            var swept = isList && (!ConfigKeys.IsList(key) || value[1..].TrimStart().StartsWith('['));
            if (!swept)
            {
                overrides.Add(token);
                continue;
            }
            if (axes.Any(a => a.Key == key)) throw new ArgumentException($"{key} is swept twice; give all its values in one list");
            var values = SplitList(value, key);
            if (values.Count == 0) throw new ArgumentException($"{key}=[] sweeps over no values");
            axes.Add(new SweepAxis(key, values));
        }
        return new SweepPlan(overrides, axes);
    }

    /// <summary>Every combination as (key, value) pairs in axis order; one empty combination when nothing is swept.</summary>
    public IReadOnlyList<IReadOnlyList<(string Key, string Value)>> Combinations()
    {
        IEnumerable<IReadOnlyList<(string, string)>> result = [[]];
        foreach (var axis in Axes)
        {
            result = result.SelectMany(prefix => axis.Values.Select(v => (IReadOnlyList<(string, string)>)[.. prefix, (axis.Key, v)])).ToList();
        }
        return result.ToList();
    }

    /// <summary>A folder-safe run name for a combination: <c>adapter.d-100_train.seed-1</c> (<c>base</c> when nothing is swept).</summary>
    public static string RunName(IReadOnlyList<(string Key, string Value)> combination)
    {
        ArgumentNullException.ThrowIfNull(combination);
        if (combination.Count == 0) return "base";
        var sb = new StringBuilder();
        foreach (var (key, value) in combination)
        {
            if (sb.Length > 0) sb.Append('_');
            sb.Append(key).Append('-');
            foreach (var c in value)
            {
                if (char.IsLetterOrDigit(c) || c is '.' or '-') sb.Append(c);
                else if (c == ',') sb.Append('-');
            }
        }
        return sb.ToString();
    }

    // Splits "[a, [b, c], 'd,e']" at top-level commas, keeping nested lists and quoted strings whole.
    private static List<string> SplitList(string list, string key)
    {
        var inner = list[1..^1];
        var items = new List<string>();
        var depth = 0;
        char? quote = null;
        var start = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            var c = inner[i];
            if (quote is { } q)
            {
                if (c == q) quote = null;
                continue;
            }
            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    break;
                case '[' or '{':
                    depth++;
                    break;
                case ']' or '}':
                    if (--depth < 0) throw new ArgumentException($"{key}: unbalanced brackets in {list}");
                    break;
                case ',' when depth == 0:
                    items.Add(inner[start..i].Trim());
                    start = i + 1;
                    break;
            }
        }
        if (depth != 0 || quote is not null) throw new ArgumentException($"{key}: unbalanced brackets or quotes in {list}");
        var last = inner[start..].Trim();
        if (last.Length > 0 || items.Count > 0) items.Add(last);
        if (items.Any(v => v.Length == 0)) throw new ArgumentException($"{key}: empty value in {list}");
        return items;
    }
}
