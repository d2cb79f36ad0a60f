namespace LowRankTrainer.Data.Text;

/// <summary>The two file layouts of a text-classification dataset.</summary>
public enum TextFileFormat
{
    /// <summary>JSON Lines: one object per line with (at least) the text and label keys (<c>text_jsonl</c>).</summary>
    Jsonl,

    /// <summary>CSV with a header row naming the text and label columns (<c>text_csv</c>); a <c>.tsv</c> file is tab-separated.</summary>
    Csv,
}

/// <summary>
/// Reads the examples of a text-classification file (<c>text_jsonl</c>, <c>text_csv</c>) with the project's
/// strict parsers (<see cref="JsonlParser"/>, <see cref="CsvParser"/>). Other fields are ignored. A missing field,
/// a null or empty label, or a null text is a <see cref="DataFormatException"/> naming the file, line and field;
/// an empty text is kept (it tokenizes to the special tokens alone).
/// </summary>
public static class TextClassificationFile
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed or lacks a field (file, line and field named).</exception>
    public static List<LabeledText> Read(string path, TextFileFormat format, string textField = "text", string labelField = "label")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var text = File.ReadAllText(path);
        var table = format switch
        {
            TextFileFormat.Jsonl => JsonlParser.Parse(text, path),
            TextFileFormat.Csv => TabularTable.ParseCsv(text, path, Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ','),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown text file format"),
        };
        return FromTable(table, textField, labelField);
    }

    /// <summary>The examples of a table already read.</summary>
    /// <exception cref="DataFormatException">A field is missing, or a cell is null (file, line and field named).</exception>
    public static List<LabeledText> FromTable(TabularTable table, string textField, string labelField)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(textField);
        ArgumentNullException.ThrowIfNull(labelField);
        if (table.RowCount == 0) throw new DataFormatException(table.Path, "no rows: the file holds a header but no examples");
        var textCol = Column(table, textField, "data.text_field");
        var labelCol = Column(table, labelField, "data.label_field");
        var examples = new List<LabeledText>(table.RowCount);
        for (var r = 0; r < table.RowCount; r++)
        {
            var line = table.LineOf(r);
            var body = table[r, textCol] ?? throw new DataFormatException(table.Path, "the text is null", line, textField);
            var label = table[r, labelCol];
            if (string.IsNullOrWhiteSpace(label)) throw new DataFormatException(table.Path, "missing label", line, labelField);
            examples.Add(new LabeledText(body, label.Trim(), table.Path, line));
        }
        return examples;
    }

    /// <summary>The column of a field; its absence is reported at the first example, where the fields were fixed.</summary>
    private static int Column(TabularTable table, string field, string key)
    {
        var index = table.Columns.ToList().IndexOf(field);
        if (index >= 0) return index;
        throw new DataFormatException(table.Path,
            $"no such field (the fields are: {string.Join(", ", table.Columns)}); set {key} to the one that holds it", table.LineOf(0), field);
    }
}
