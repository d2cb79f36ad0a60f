using System.Globalization;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Data;

/// <summary>What the label column of a tabular dataset predicts.</summary>
public enum TabularTask
{
    /// <summary>Class labels: int64 targets, the class indices of the sorted distinct labels.</summary>
    Classification,
    /// <summary>Real values: float32 targets.</summary>
    Regression,
}

/// <summary>
/// Turns a CSV/JSONL table into a <see cref="TensorDataset"/>: chosen feature columns become a
/// float32 <c>[N, F]</c> tensor, the label column an int64 <c>[N]</c> tensor of class indices
/// (classification) or a float32 <c>[N]</c> tensor (regression).
/// </summary>
/// <remarks>
/// Class indices follow the sorted distinct labels — numerically when every label is a number
/// (so labels 0..K−1 keep their values), otherwise in ordinal string order (scikit-learn's
/// <c>LabelEncoder</c> convention); <see cref="TensorDataset.ClassNames"/> records the mapping.
/// Every value is parsed with the invariant culture; an empty, missing or non-numeric feature is a
/// <see cref="DataFormatException"/> naming the file, line and column.
/// </remarks>
public static class TabularDataset
{
    /// <summary>Reads a <c>.csv</c>, <c>.tsv</c>, <c>.jsonl</c> or <c>.ndjson</c> file and builds the dataset.</summary>
    /// <param name="path">The file (CSV with a header row, or one JSON object per line).</param>
    /// <param name="label">The label column.</param>
    /// <param name="features">The feature columns in tensor order; null for every column but the label, in file order.</param>
    /// <param name="task">Classification (int64 class indices) or regression (float32 values).</param>
    public static TensorDataset Load(string path, string label, IReadOnlyList<string>? features = null, TabularTask task = TabularTask.Classification) =>
        FromTable(TabularTable.Load(path), label, features, task);

    /// <summary>Builds the dataset from a table already read.</summary>
    /// <param name="table">The table.</param>
    /// <param name="label">The label column.</param>
    /// <param name="features">The feature columns in tensor order; null for every column but the label, in file order.</param>
    /// <param name="task">Classification (int64 class indices) or regression (float32 values).</param>
    public static TensorDataset FromTable(TabularTable table, string label, IReadOnlyList<string>? features = null, TabularTask task = TabularTask.Classification)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(label);
        var labelCol = table.ColumnIndex(label);
        features ??= table.Columns.Where(c => c != label).ToArray();
        if (features.Count == 0) throw new ArgumentException("at least one feature column is needed", nameof(features));
        if (features.Contains(label)) throw new ArgumentException($"the label column '{label}' is also listed as a feature", nameof(features));
        if (features.Distinct(StringComparer.Ordinal).Count() != features.Count) throw new ArgumentException("a feature column is listed twice", nameof(features));
        if (table.RowCount == 0) throw new DataFormatException(table.Path, "the table has a header but no rows");

        var featureCols = features.Select(table.ColumnIndex).ToArray();
        var n = table.RowCount;
        var f = featureCols.Length;
        var x = new float[(long)n * f];
        for (var r = 0; r < n; r++)
        {
            for (var j = 0; j < f; j++) x[(long)r * f + j] = (float)table.GetNumber(r, featureCols[j]);
        }

        IReadOnlyList<string>? classNames = null;
        long[]? classes = null;
        float[]? values = null;
        if (task == TabularTask.Regression)
        {
            values = new float[n];
            for (var r = 0; r < n; r++) values[r] = (float)table.GetNumber(r, labelCol);
        }
        else
        {
            (classes, classNames) = EncodeLabels(table, labelCol);
        }

        using var _ = DisposeScope.Suspend();
        var inputs = Tensor.From<float>(x, [n, f]);
        try
        {
            var targets = classes is not null ? Tensor.From<long>(classes, [n]) : Tensor.From<float>(values!, [n]);
            return new TensorDataset(inputs, targets, classNames);
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }

    /// <summary>Maps each label to its index among the sorted distinct labels.</summary>
    private static (long[] Classes, string[] Names) EncodeLabels(TabularTable table, int labelCol)
    {
        var n = table.RowCount;
        var raw = new string[n];
        for (var r = 0; r < n; r++)
        {
            var cell = table[r, labelCol];
            if (cell is null || cell.Length == 0)
            {
                throw new DataFormatException(table.Path, "missing label", table.LineOf(r), table.Columns[labelCol]);
            }
            raw[r] = cell;
        }
        var distinct = raw.Distinct(StringComparer.Ordinal).ToArray();
        var numeric = distinct.All(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v));
        var names = numeric
            ? distinct.OrderBy(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ThenBy(s => s, StringComparer.Ordinal).ToArray()
            : distinct.OrderBy(s => s, StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++) index[names[i]] = i;
        var classes = new long[n];
        for (var r = 0; r < n; r++) classes[r] = index[raw[r]];
        return (classes, names);
    }
}
