using System.Text;

namespace LowRankTrainer.Experiments;

/// <summary>
/// A computed results table: header, rows of cell texts, and the numbers behind the cells keyed by (row label,
/// column label) — the row label being the row's key values joined by " / " — for ours-vs-reported comparisons.
/// </summary>
/// <param name="Name">The table's name.</param>
/// <param name="Title">Its heading.</param>
/// <param name="KeyColumns">How many leading columns hold the row's key values.</param>
/// <param name="Header">Column headers.</param>
/// <param name="Rows">Cell texts.</param>
/// <param name="Values">The numbers behind the cells.</param>
public sealed record RenderedTable(
    string Name,
    string Title,
    int KeyColumns,
    IReadOnlyList<string> Header,
    IReadOnlyList<IReadOnlyList<string>> Rows,
    IReadOnlyDictionary<(string Row, string Column), Stat> Values)
{
    /// <summary>The text of the cell in the row labelled <paramref name="row"/> and the column <paramref name="column"/>, or null.</summary>
    public string? Cell(string row, string column)
    {
        var c = Header.ToList().IndexOf(column);
        if (c < 0) return null;
        var match = Rows.FirstOrDefault(r => string.Join(" / ", r.Take(KeyColumns)) == row);
        return match?[c];
    }

    /// <summary>A GitHub Markdown table (pipes in cells escaped; numeric-looking columns right-aligned).</summary>
    public string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", Header.Select(Escape)).Append(" |\n|");
        for (var c = 0; c < Header.Count; c++)
        {
            var numeric = Rows.Count > 0 && Rows.All(r => c < r.Count && (r[c].Length == 0 || char.IsAsciiDigit(r[c][0]) || r[c][0] is '-' or '>' or '—'));
            sb.Append(numeric ? "---:|" : "---|");
        }
        sb.Append('\n');
        foreach (var row in Rows) sb.Append("| ").AppendJoin(" | ", row.Select(Escape)).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>RFC 4180 CSV of the same cells.</summary>
    public string Csv()
    {
        static string Field(string f) => f.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + f.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : f;
        var sb = new StringBuilder();
        sb.AppendJoin(",", Header.Select(Field)).Append('\n');
        foreach (var row in Rows) sb.AppendJoin(",", row.Select(Field)).Append('\n');
        return sb.ToString();
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal);
}
