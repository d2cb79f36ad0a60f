using System.Globalization;

namespace LowRankTrainer.Data;

/// <summary>
/// A table read from a CSV (header row + records) or JSONL file: named columns of text cells,
/// each row remembering the line it came from so that conversion errors can point at it.
/// </summary>
public sealed class TabularTable
{
    private readonly string?[][] _rows;
    private readonly long[] _lines;
    private readonly Dictionary<string, int> _index;

    /// <summary>A table named <paramref name="path"/> (used in messages) over <paramref name="rows"/>, each from line <paramref name="lines"/>[i].</summary>
    public TabularTable(string path, IReadOnlyList<string> columns, IReadOnlyList<string?[]> rows, IReadOnlyList<long> lines)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(lines);
        if (rows.Count != lines.Count) throw new ArgumentException("one line number per row is needed", nameof(lines));
        Path = path;
        Columns = columns.ToArray();
        _rows = rows.ToArray();
        _lines = lines.ToArray();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Columns.Count; i++)
        {
            if (!_index.TryAdd(Columns[i], i)) throw new DataFormatException(path, "duplicate column name in the header", 1, Columns[i]);
        }
        for (var r = 0; r < _rows.Length; r++)
        {
            if (_rows[r].Length != Columns.Count) throw new ArgumentException($"row {r} has {_rows[r].Length} cells, not {Columns.Count}", nameof(rows));
        }
    }

    /// <summary>The file the table was read from.</summary>
    public string Path { get; }

    /// <summary>Column names in file order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Number of data rows (the header excluded).</summary>
    public int RowCount => _rows.Length;

    /// <summary>The cell at a row and column (null: a JSON null).</summary>
    public string? this[int row, int column] => _rows[row][column];

    /// <summary>The 1-based line a row starts on.</summary>
    public long LineOf(int row) => _lines[row];

    /// <summary>
    /// Reads a table, choosing the format by extension: <c>.csv</c> (comma), <c>.tsv</c> (tab),
    /// <c>.jsonl</c>/<c>.ndjson</c>. Text is UTF-8.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed (file, line and column named).</exception>
    public static TabularTable Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var text = File.ReadAllText(path);
        return System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => ParseCsv(text, path),
            ".tsv" => ParseCsv(text, path, '\t'),
            ".jsonl" or ".ndjson" => JsonlParser.Parse(text, path),
            var ext => throw new DataFormatException(path, $"unknown table format '{ext}' (expected .csv, .tsv, .jsonl or .ndjson)"),
        };
    }

    /// <summary>Parses CSV text whose first record is the header.</summary>
    public static TabularTable ParseCsv(string text, string name, char delimiter = ',')
    {
        var records = CsvParser.Parse(text, name, delimiter);
        if (records.Count == 0) throw new DataFormatException(name, "no header row: the file is empty");
        var header = records[0].Fields;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++)
        {
            if (header[i].Length == 0) throw new DataFormatException(name, $"header field {i + 1} is empty (every column needs a name)", records[0].Line);
            // Checked here, where the header's line is known (blank lines may come before it); the constructor would say line 1.
            if (!names.Add(header[i])) throw new DataFormatException(name, "duplicate column name in the header", records[0].Line, header[i]);
        }
        var rows = new List<string?[]>(records.Count - 1);
        var lines = new List<long>(records.Count - 1);
        for (var r = 1; r < records.Count; r++)
        {
            var rec = records[r];
            if (rec.Fields.Count != header.Count)
            {
                throw new DataFormatException(name, $"the row has {rec.Fields.Count} fields, the header has {header.Count}", rec.Line);
            }
            rows.Add(rec.Fields.ToArray());
            lines.Add(rec.Line);
        }
        return new TabularTable(name, header, rows, lines);
    }

    /// <summary>The index of a column.</summary>
    /// <exception cref="DataFormatException">No such column (the message lists the columns there are).</exception>
    public int ColumnIndex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_index.TryGetValue(name, out var i)) return i;
        var nearest = _index.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase) || string.Equals(k.Trim(), name.Trim(), StringComparison.Ordinal));
        var hint = nearest is null ? "" : $"; did you mean '{nearest}'?";
        throw new DataFormatException(Path, $"no such column (the columns are: {string.Join(", ", Columns)}){hint}", column: name);
    }

    /// <summary>The cells of one column, top to bottom.</summary>
    public string?[] Column(string name)
    {
        var c = ColumnIndex(name);
        var result = new string?[_rows.Length];
        for (var r = 0; r < _rows.Length; r++) result[r] = _rows[r][c];
        return result;
    }

    /// <summary>
    /// The cell as a finite number (invariant culture: <c>.</c> decimal point, exponents allowed,
    /// surrounding spaces ignored).
    /// </summary>
    /// <exception cref="DataFormatException">Empty, null, not a number, or not finite (file, line and column named).</exception>
    public double GetNumber(int row, int column)
    {
        var cell = _rows[row][column];
        if (cell is null || cell.Trim().Length == 0)
        {
            throw new DataFormatException(Path, "missing value: a number is needed", _lines[row], Columns[column]);
        }
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            throw new DataFormatException(Path, $"'{cell}' is not a number", _lines[row], Columns[column]);
        }
        if (!double.IsFinite(v)) throw new DataFormatException(Path, $"'{cell}' is not a finite number", _lines[row], Columns[column]);
        return v;
    }

    /// <summary>Whether every cell of a column is a finite number.</summary>
    public bool IsNumeric(string name)
    {
        var c = ColumnIndex(name);
        foreach (var row in _rows)
        {
            if (row[c] is not { } s || !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v)) return false;
        }
        return true;
    }
}
