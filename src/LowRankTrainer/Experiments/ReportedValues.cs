using LowRankTrainer.Data;

namespace LowRankTrainer.Experiments;

/// <summary>One number from the paper, tied to a cell of one of our tables so the two can be shown side by side.</summary>
/// <param name="Table">Our table's name.</param>
/// <param name="Row">Our row label (the row's key values joined by " / ", as displayed).</param>
/// <param name="Column">Our column header.</param>
/// <param name="Reported">The paper's value, as printed there.</param>
/// <param name="Source">Where in the paper (table, figure, page) and on what setup (e.g. MNIST, RoBERTa-base).</param>
public sealed record ReportedValue(string Table, string Row, string Column, string Reported, string Source);

/// <summary>
/// <c>reported.csv</c>: the paper's numbers with the columns <c>table,row,column,reported,source</c> (RFC 4180). A row
/// may describe a setting we do not run (the paper's MNIST table beside our Fashion-MNIST one): it is printed with
/// our value blank.
/// </summary>
public static class ReportedValues
{
    private static readonly string[] Columns = ["table", "row", "column", "reported", "source"];

    /// <summary>Reads <paramref name="path"/>; an absent file is no values.</summary>
    /// <exception cref="InvalidDataException">The header or a row is wrong (the message names file and line).</exception>
    public static IReadOnlyList<ReportedValue> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) return [];
        var records = CsvParser.Parse(File.ReadAllText(path), path);
        if (records.Count == 0 || !records[0].Fields.SequenceEqual(Columns))
            throw new InvalidDataException($"{path}(1): the header must be {string.Join(",", Columns)}");
        var values = new List<ReportedValue>();
        foreach (var record in records.Skip(1))
        {
            if (record.Fields.Count != Columns.Length)
                throw new InvalidDataException($"{path}({record.Line}): {record.Fields.Count} fields, expected {Columns.Length} ({string.Join(",", Columns)})");
            var f = record.Fields;
            values.Add(new ReportedValue(f[0], f[1], f[2], f[3], f[4]));
        }
        return values;
    }

    /// <summary>
    /// The ours-vs-reported Markdown table: each reported value beside our cell (blank when we have no such row, e.g. a
    /// reduced grid).
    /// </summary>
    /// <param name="reported">The paper's values.</param>
    /// <param name="ours">Our tables.</param>
    /// <param name="path">reported.csv, for messages.</param>
    /// <param name="strict">A column missing from our table is an error (full grids); reduced grids may lack some.</param>
    /// <exception cref="InvalidDataException">A value names a table (or, when strict, a column) that we never produce.</exception>
    public static string Compare(IReadOnlyList<ReportedValue> reported, IReadOnlyList<RenderedTable> ours, string path, bool strict)
    {
        ArgumentNullException.ThrowIfNull(reported);
        ArgumentNullException.ThrowIfNull(ours);
        var sb = new System.Text.StringBuilder("| table | row | column | reported | ours | source |\n|---|---|---|---:|---:|---|\n");
        foreach (var value in reported)
        {
            var table = ours.FirstOrDefault(t => t.Name == value.Table)
                ?? throw new InvalidDataException($"{path}: table '{value.Table}' is not one of ours ({string.Join(", ", ours.Select(t => t.Name))})");
            var cell = table.Rows.Count == 0 ? null : table.Cell(value.Row, value.Column);
            if (strict && !table.Header.Contains(value.Column))
                throw new InvalidDataException($"{path}: table '{value.Table}' has no column '{value.Column}' (columns: {string.Join(", ", table.Header)})");
            sb.Append($"| {value.Table} | {value.Row} | {value.Column} | {value.Reported} | {cell ?? ""} | {value.Source} |\n");
        }
        return sb.ToString();
    }
}
