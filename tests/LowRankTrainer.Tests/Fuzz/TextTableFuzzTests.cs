using System.Text;
using System.Text.RegularExpressions;
using LowRankTrainer.Data;
using LowRankTrainer.Data.Text;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Fuzz;

/// <summary>
/// Fuzzes the text-classification inputs (issue #10), <c>text_jsonl</c> and <c>text_csv</c>: small valid files of
/// text + label rows read by <see cref="TextClassificationFile"/> and numbered by <see cref="TextLabels"/> (the steps
/// before tokenization), then damaged: truncated lines, broken quotes, wrong value types for the text and label fields,
/// a BOM, NUL, invalid UTF-8, huge lines and raw byte damage. Each file must read or throw a
/// <see cref="DataFormatException"/> naming the file and the line (or, for a file with no rows at all, saying so).
/// </summary>
public sealed class TextTableFuzzTests(ITestOutputHelper output)
{
    /// <summary><c>file(12)</c>, or the whole-file problems that have no line: an empty file, or one without rows.</summary>
    private static Regex Position(string path) =>
        new($@"{Regex.Escape(Path.GetFileName(path))}\(\d+\)|: no rows: |: no header row: the file is empty", RegexOptions.CultureInvariant);

    [Fact]
    public void Fuzz_TextJsonl_ReadsOrNamesTheFileAndTheLine() => Run(TextFileFormat.Jsonl);

    [Fact]
    public void Fuzz_TextCsv_ReadsOrNamesTheFileAndTheLine() => Run(TextFileFormat.Csv);

    private void Run(TextFileFormat format) => FuzzHarness.Run(output, nameof(TextTableFuzzTests) + "." + (format == TextFileFormat.Jsonl ? "Fuzz_TextJsonl" : "Fuzz_TextCsv"), c =>
    {
        var r = c.Random;
        var rows = Enumerable.Range(0, 1 + r.Next(6)).Select(_ => (Text: r.Text(30), Label: r.Next(3) == 0 ? r.Pick(["ham", "spam", "x y"]) : r.Next(4).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var lines = format == TextFileFormat.Jsonl ? JsonlLines(r, rows) : CsvLines(r, rows);
        c.Note($"valid: {rows.Count} rows");
        for (var n = 1 + r.Next(3); n > 0; n--) lines = MutateLines(r, lines, format, c);
        var bytes = Encoding.UTF8.GetBytes(string.Join(r.Next(4) == 0 ? "\r\n" : "\n", lines));
        if (r.Next(4) == 0) bytes = r.Damage(bytes, (0, 0), c);
        var ext = format == TextFileFormat.Jsonl ? ".jsonl" : r.Next(4) == 0 ? ".tsv" : ".csv";
        var path = Path.Combine(c.Folder, $"case-{c.Seed}{ext}");
        File.WriteAllBytes(path, bytes);
        try
        {
            var examples = TextClassificationFile.Read(path, format);
            var labelNames = r.Next(3) == 0 ? new[] { "ham", "spam" } : [];
            var labels = TextLabels.Build(examples, labelNames, "label");
            foreach (var e in examples) Assert.InRange(labels.IndexOf(e), 0, labels.ClassNames.Count - 1);
            return "ok";
        }
        catch (DataFormatException e)
        {
            var outcome = FuzzCase.Located(e.Message, path, Position(path), "DataFormatException: " + Kind(e));
            // The line must be one the parser read: inside the file and not blank (blank lines are skipped, never rows).
            if (e.Line is { } line)
            {
                var physical = Regex.Split(File.ReadAllText(path), "\r\n|\r|\n");
                if (line < 1 || line > physical.Length || physical[line - 1].Length == 0)
                {
                    throw new FuzzFailure("wrong line: " + outcome, $"the error names line {line}, which is {(line < 1 || line > physical.Length ? "outside the file" : "blank")}: {e.Message}");
                }
            }
            return outcome;
        }
    });

    private static string Kind(DataFormatException e)
    {
        var problem = e.Problem ?? e.Message;
        var cut = problem.IndexOfAny([':', '(', '\'']);
        var head = (cut > 0 ? problem[..cut] : problem).Trim();
        return Regex.Replace(head, @"\d+", "N");
    }

    private static List<string> JsonlLines(Random r, List<(string Text, string Label)> rows) =>
        rows.Select(row => r.Next(4) == 0
            ? $"{{\"label\": {Json(row.Label, r)}, \"text\": {Json(row.Text, r)}, \"id\": {r.Next(100)}}}"
            : $"{{\"text\": {Json(row.Text, r)}, \"label\": {Json(row.Label, r)}, \"id\": {r.Next(100)}}}").ToList();

    private static string Json(string value, Random r) =>
        int.TryParse(value, out _) && r.Next(2) == 0 ? value : System.Text.Json.JsonSerializer.Serialize(value);

    private static List<string> CsvLines(Random r, List<(string Text, string Label)> rows)
    {
        var lines = new List<string> { r.Next(2) == 0 ? "text,label" : "label,id,text" };
        foreach (var (text, label) in rows)
        {
            var quoted = "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            lines.Add(lines[0] == "text,label" ? $"{quoted},{label}" : $"{label},{r.Next(100)},{quoted}");
        }
        return lines;
    }

    private static readonly string[] Values =
        ["null", "true", "1.5", "-1", "[1]", "{}", "{\"a\": 1}", "\"\"", "\" \"", "999999999", "99999999999", "1e999", "\"\\ud800\"", "\"\\u0000\"", "\"unterminated", "'single'", "NaN"];

    private static List<string> MutateLines(Random r, List<string> lines, TextFileFormat format, FuzzCase c)
    {
        var l = lines.Count == 0 ? [""] : lines.ToList();
        var i = r.Next(l.Count);
        switch (r.Next(10))
        {
            case 0:
                var at = r.Next(l[i].Length + 1);
                c.Note($"truncate line {i + 1} at {at}");
                l[i] = l[i][..at];
                break;
            case 1:
                var q = l[i].IndexOf('"', StringComparison.Ordinal);
                if (q >= 0) l[i] = l[i].Remove(q, 1);
                else l[i] += "\"";
                c.Note($"break a quote on line {i + 1}");
                break;
            case 2 when format == TextFileFormat.Jsonl:
            {
                var field = r.Pick(["text", "label", "id"]);
                var value = r.Pick(Values);
                l[i] = Regex.Replace(l[i], $"\"{field}\": (\"(?:[^\"\\\\]|\\\\.)*\"|[^,}}]+)", $"\"{field}\": {value.Replace("$", "$$", StringComparison.Ordinal)}");
                c.Note($"line {i + 1}: {field} -> {value}");
                break;
            }
            case 2:
            {
                // CSV: a cell becomes something that is not a label or has the wrong field count.
                var value = r.Pick(["", " ", "a,b", "\"\"", "\"x\"y", "999999999", "-1", "1.5", "\t"]);
                l[i] = r.Next(2) == 0 ? l[i] + "," + value : value + l[i][Math.Max(0, l[i].IndexOf(',', StringComparison.Ordinal))..];
                c.Note($"line {i + 1}: cell -> '{value}'");
                break;
            }
            case 3:
                c.Note("BOM " + (i == 0 ? "at the start" : $"on line {i + 1}"));
                l[i] = "\uFEFF" + l[i];
                break;
            case 4:
            {
                var pos = r.Next(l[i].Length + 1);
                var ch = r.Pick(["\0", "\u0001", "\t", "\r", "\u2028", "\uFFFD", "\\", "{", "}", ",", ":", "\n"]);
                c.Note($"insert {(int)ch[0]:X4} on line {i + 1} at {pos}");
                l[i] = l[i].Insert(pos, ch);
                break;
            }
            case 5:
            {
                var size = r.Pick([1 << 10, 1 << 16, 1 << 20]);
                var huge = new string('x', size);
                l[i] = format == TextFileFormat.Jsonl ? $"{{\"text\": \"{huge}\", \"label\": 1, \"id\": 0}}" : $"\"{huge}\",1";
                c.Note($"line {i + 1}: a {size}-character text");
                break;
            }
            case 6:
                c.Note($"delete line {i + 1}");
                l.RemoveAt(i);
                break;
            case 7:
                c.Note($"blank line before {i + 1}");
                l.Insert(i, r.Pick(["", " ", "\t", "\r"]));
                break;
            case 8:
                c.Note($"duplicate line {i + 1}");
                l.Insert(i, l[i]);
                break;
            default:
                c.Note($"swap lines 1 and {i + 1}");
                (l[0], l[i]) = (l[i], l[0]);
                break;
        }
        return l;
    }
}
