using System.Globalization;

namespace LowRankTrainer.Experiments;

/// <summary>
/// Orders config values and metric suffixes as a reader expects: numbers by value, <c>2:16</c> before <c>10:8</c>
/// (piecewise on <c>:</c>), lists element by element, text ordinally.
/// </summary>
public sealed class ValueOrder : IComparer<string>
{
    /// <summary>The shared instance.</summary>
    public static ValueOrder Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(string? a, string? b)
    {
        if (a is null || b is null) return a is null ? (b is null ? 0 : -1) : 1;
        var pa = a.Trim('[', ']').Split([':', ','], StringSplitOptions.TrimEntries);
        var pb = b.Trim('[', ']').Split([':', ','], StringSplitOptions.TrimEntries);
        for (var i = 0; i < Math.Min(pa.Length, pb.Length); i++)
        {
            var c = TryNumber(pa[i], out var x) && TryNumber(pb[i], out var y) ? x.CompareTo(y) : string.CompareOrdinal(pa[i], pb[i]);
            if (c != 0) return c;
        }
        return pa.Length.CompareTo(pb.Length);
    }

    /// <summary>Parses an invariant-culture number.</summary>
    public static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
