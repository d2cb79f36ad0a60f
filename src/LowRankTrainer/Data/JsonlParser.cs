using System.Text.Json;

namespace LowRankTrainer.Data;

/// <summary>
/// Reads JSON Lines (one JSON object per line) as a table: the first object's keys, in order, are
/// the columns; every later object must have exactly those keys (in any order).
/// </summary>
/// <remarks>
/// Values must be scalars: numbers keep their JSON text (<c>1e-3</c> stays <c>1e-3</c>), strings
/// their value, booleans become <c>true</c>/<c>false</c> and <c>null</c> a missing cell. Malformed
/// JSON, a non-object line, a nested value, a duplicate, missing or unexpected key are
/// <see cref="DataFormatException"/>s naming the file, line and key. Blank lines are skipped.
/// </remarks>
public static class JsonlParser
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="name"/> is used in error messages.</summary>
    public static TabularTable Parse(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        string[]? columns = null;
        Dictionary<string, int>? index = null;
        var rows = new List<string?[]>();
        var lines = new List<long>();

        using var reader = new StringReader(text);
        long lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (lineNo == 1 && line.Length > 0 && line[0] == '\uFEFF') line = line[1..];
            if (string.IsNullOrWhiteSpace(line)) continue;

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new DataFormatException(name, $"malformed JSON: {e.Message}", lineNo, innerException: e);
            }
            using (doc)
            {
                try
                {
                    var obj = doc.RootElement;
                    if (obj.ValueKind != JsonValueKind.Object)
                    {
                        throw new DataFormatException(name, $"expected a JSON object per line, found {obj.ValueKind.ToString().ToLowerInvariant()}", lineNo);
                    }
                    if (columns is null)
                    {
                        var keys = new List<string>();
                        foreach (var p in obj.EnumerateObject()) keys.Add(p.Name);
                        columns = keys.ToArray();
                        index = new Dictionary<string, int>(StringComparer.Ordinal);
                        for (var i = 0; i < columns.Length; i++)
                        {
                            if (!index.TryAdd(columns[i], i)) throw new DataFormatException(name, "duplicate key", lineNo, columns[i]);
                        }
                    }

                    var row = new string?[columns.Length];
                    var seen = new bool[columns.Length];
                    foreach (var p in obj.EnumerateObject())
                    {
                        if (!index!.TryGetValue(p.Name, out var col))
                        {
                            throw new DataFormatException(name, $"unexpected key (the columns, from the first line, are: {string.Join(", ", columns)})", lineNo, p.Name);
                        }
                        if (seen[col]) throw new DataFormatException(name, "duplicate key", lineNo, p.Name);
                        seen[col] = true;
                        row[col] = p.Value.ValueKind switch
                        {
                            JsonValueKind.Number => p.Value.GetRawText(),
                            JsonValueKind.String => p.Value.GetString(),
                            JsonValueKind.True => "true",
                            JsonValueKind.False => "false",
                            JsonValueKind.Null => null,
                            _ => throw new DataFormatException(name, $"expected a number, string, boolean or null, found {p.Value.ValueKind.ToString().ToLowerInvariant()}", lineNo, p.Name),
                        };
                    }
                    var missing = Array.IndexOf(seen, false);
                    if (missing >= 0) throw new DataFormatException(name, "missing key (every line needs the keys of the first line)", lineNo, columns[missing]);
                    rows.Add(row);
                    lines.Add(lineNo);
                }
                catch (InvalidOperationException e)
                {
                    // JsonDocument parses "\ud800" (a lone surrogate escape) and only refuses it when the string is read.
                    throw new DataFormatException(name, $"malformed JSON string: {e.Message}", lineNo, innerException: e);
                }
            }
        }
        if (columns is null) throw new DataFormatException(name, "no rows: the file holds no JSON object");
        return new TabularTable(name, columns, rows, lines);
    }
}
