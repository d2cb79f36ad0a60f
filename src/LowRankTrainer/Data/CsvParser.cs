using System.Text;

namespace LowRankTrainer.Data;

/// <summary>
/// An RFC 4180 CSV parser: records end at CRLF, LF or CR; fields are separated by the delimiter; a
/// field that starts with <c>"</c> is quoted and may hold delimiters, quotes (doubled: <c>""</c>)
/// and line breaks. No culture is involved: fields are returned as text.
/// </summary>
/// <remarks>
/// Strict where RFC 4180 is: a quote inside an unquoted field, text after a closing quote and an
/// unterminated quoted field are <see cref="DataFormatException"/>s naming the file and line. Two
/// leniencies: a UTF-8 byte-order mark is skipped, and blank lines (no characters at all) are
/// skipped rather than read as one-empty-field records.
/// </remarks>
public static class CsvParser
{
    /// <summary>A parsed record and the 1-based line it starts on.</summary>
    /// <param name="Line">The physical line where the record starts (quoted fields may span several).</param>
    /// <param name="Fields">The record's fields, unquoted.</param>
    public readonly record struct Record(long Line, IReadOnlyList<string> Fields);

    /// <summary>Parses <paramref name="text"/>; <paramref name="name"/> is used in error messages.</summary>
    public static List<Record> Parse(string text, string name, char delimiter = ',')
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        if (delimiter is '"' or '\r' or '\n') throw new ArgumentException("the delimiter cannot be a quote or a line break", nameof(delimiter));

        var records = new List<Record>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var pos = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        long line = 1;
        long recordLine = 1;
        var atRecordStart = true;

        while (pos < text.Length)
        {
            if (atRecordStart)
            {
                // Skip blank lines.
                if (TryLineBreak(text, ref pos))
                {
                    line++;
                    continue;
                }
                recordLine = line;
                atRecordStart = false;
            }

            if (text[pos] == '"')
            {
                var quoteLine = line;
                pos++;
                while (true)
                {
                    if (pos >= text.Length)
                    {
                        throw new DataFormatException(name, $"unterminated quoted field (the quote opened on line {quoteLine} is never closed)", recordLine);
                    }
                    var c = text[pos];
                    if (c == '"')
                    {
                        if (pos + 1 < text.Length && text[pos + 1] == '"')
                        {
                            field.Append('"');
                            pos += 2;
                            continue;
                        }
                        pos++;
                        break;
                    }
                    if (c == '\n' || (c == '\r' && (pos + 1 >= text.Length || text[pos + 1] != '\n'))) line++;
                    field.Append(c);
                    pos++;
                }
                if (pos < text.Length && text[pos] != delimiter && text[pos] != '\r' && text[pos] != '\n')
                {
                    throw new DataFormatException(name,
                        $"field {fields.Count + 1}: unexpected '{text[pos]}' after a closing quote (a quote inside a quoted field is written \"\")", line);
                }
            }
            else
            {
                while (pos < text.Length && text[pos] != delimiter && text[pos] != '\r' && text[pos] != '\n')
                {
                    if (text[pos] == '"')
                    {
                        throw new DataFormatException(name,
                            $"field {fields.Count + 1}: a quote inside an unquoted field (quote the whole field and double the quote: \"a \"\"b\"\"\")", line);
                    }
                    field.Append(text[pos]);
                    pos++;
                }
            }

            // The field ends at a delimiter, a line break or the end of the text.
            fields.Add(field.ToString());
            field.Clear();
            if (pos < text.Length && text[pos] == delimiter)
            {
                pos++;
                if (pos == text.Length) fields.Add("");
                continue;
            }
            if (TryLineBreak(text, ref pos)) line++;
            records.Add(new Record(recordLine, fields.ToArray()));
            fields.Clear();
            atRecordStart = true;
        }
        if (fields.Count > 0) records.Add(new Record(recordLine, fields.ToArray()));
        return records;
    }

    private static bool TryLineBreak(string text, ref int pos)
    {
        if (pos >= text.Length) return false;
        if (text[pos] == '\n')
        {
            pos++;
            return true;
        }
        if (text[pos] == '\r')
        {
            pos += pos + 1 < text.Length && text[pos + 1] == '\n' ? 2 : 1;
            return true;
        }
        return false;
    }
}
