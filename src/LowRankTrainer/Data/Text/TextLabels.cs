using System.Globalization;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// Numbers the labels of a text-classification dataset (<c>data.label_names</c>):
/// <list type="bullet">
/// <item>with names, a label equal to a name becomes that name's index, and an integer label stays as it is
/// (it must be below the number of names);</item>
/// <item>without names, integer labels (ASCII digits) stay as they are and are named "0", "1", …; if any label
/// is not an integer, every label is treated as a name, sorted ordinally and numbered (scikit-learn's
/// <c>LabelEncoder</c>).</item>
/// </list>
/// The mapping is built from the training and evaluation examples together, so both files share it.
/// </summary>
public sealed class TextLabels
{
    private readonly Dictionary<string, long> _byName;
    private readonly bool _integersAsIs;
    private readonly string _field;

    private TextLabels(IReadOnlyList<string> classNames, bool integersAsIs, string field)
    {
        ClassNames = classNames;
        _integersAsIs = integersAsIs;
        _field = field;
        _byName = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < classNames.Count; i++) _byName.TryAdd(classNames[i], i);
    }

    /// <summary>
    /// The most classes integer labels may imply (the largest label + 1) without <c>data.label_names</c>: far above any
    /// classification head trained here (ImageNet-21k has 21,841 classes), far below what the names list would cost.
    /// </summary>
    public const int MaxIntegerClasses = 100_000;

    /// <summary>The name of each class index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Builds the mapping.</summary>
    /// <param name="examples">Every example of every split.</param>
    /// <param name="labelNames">The configured names (<c>data.label_names</c>), or empty.</param>
    /// <param name="field">The label field's name, for error messages.</param>
    /// <exception cref="DataFormatException">A label is neither a listed name nor an integer below the number of names.</exception>
    public static TextLabels Build(IEnumerable<LabeledText> examples, IReadOnlyList<string> labelNames, string field)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(labelNames);
        ArgumentNullException.ThrowIfNull(field);
        var all = examples as IReadOnlyCollection<LabeledText> ?? [.. examples];
        if (labelNames.Count > 0)
        {
            var labels = new TextLabels([.. labelNames], integersAsIs: true, field);
            foreach (var e in all) labels.IndexOf(e);
            return labels;
        }
        if (all.All(e => TryInteger(e.Label, out _)))
        {
            var max = all.Count == 0 ? -1 : all.Max(e => { TryInteger(e.Label, out var v); return v; });
            if (max >= MaxIntegerClasses)
            {
                // Each index up to the largest becomes a class (and a head output): a stray 999999999 would allocate a billion names.
                var e = all.First(x => TryInteger(x.Label, out var v) && v == max);
                throw new DataFormatException(e.File,
                    $"label {max} is an integer class index, which would make {max + 1} classes (at most {MaxIntegerClasses}); name the classes in data.label_names or use string labels",
                    e.Line > 0 ? e.Line : null, field);
            }
            var names = Enumerable.Range(0, (int)(max + 1)).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
            return new TextLabels(names, integersAsIs: true, field);
        }
        var sorted = all.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new TextLabels(sorted, integersAsIs: false, field);
    }

    /// <summary>The class index of <paramref name="example"/>'s label.</summary>
    /// <exception cref="DataFormatException">The label has no class here (file, line and field named).</exception>
    public long IndexOf(LabeledText example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (_byName.TryGetValue(example.Label, out var index)) return index;
        if (_integersAsIs && TryInteger(example.Label, out var value))
        {
            if (value < ClassNames.Count) return value;
            throw Error(example, $"label {value} is not a class index of data.label_names (0–{ClassNames.Count - 1}: {string.Join(", ", ClassNames)})");
        }
        throw Error(example, $"label '{example.Label}' is not one of data.label_names ({string.Join(", ", ClassNames)})");
    }

    private DataFormatException Error(LabeledText e, string problem) =>
        new(e.File, problem, e.Line > 0 ? e.Line : null, _field);

    /// <summary>Whether <paramref name="label"/> is a class index: ASCII digits only, at most 9 of them.</summary>
    private static bool TryInteger(string label, out long value)
    {
        value = 0;
        if (label.Length is 0 or > 9 || !label.All(char.IsAsciiDigit)) return false;
        value = long.Parse(label, CultureInfo.InvariantCulture);
        return true;
    }
}
