using System.Text.RegularExpressions;

namespace LowRankTrainer.Adapters;

/// <summary>
/// Per-module overrides (PEFT's <c>rank_pattern</c> / <c>alpha_pattern</c>): the first key, in the
/// dictionary's order, that matches the end of a module name at a dot boundary — PEFT's
/// <c>re.match(rf"(.*\.)?({key})$", name)</c> — supplies the value; otherwise the default applies.
/// </summary>
public static class PatternLookup
{
    /// <summary>The override for <paramref name="moduleName"/>, or <paramref name="fallback"/>.</summary>
    public static T Resolve<T>(IReadOnlyDictionary<string, T>? pattern, string moduleName, T fallback)
    {
        ArgumentNullException.ThrowIfNull(moduleName);
        if (pattern is null) return fallback;
        foreach (var (key, value) in pattern)
        {
            if (Regex.IsMatch(moduleName, @"^(.*\.)?(" + key + ")$", RegexOptions.CultureInvariant)) return value;
        }
        return fallback;
    }
}
