using System.Globalization;

namespace LowRankTrainer.Data;

/// <summary>
/// A data file that cannot be read as what it claims to be: a truncated or malformed IDX file, a
/// malformed CSV/JSONL row, a missing column, a non-numeric value. The message names the file and,
/// where there is one, the line and column, MSBuild-style: <c>path(12): column 'age': ...</c>.
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates an exception with a plain message.</summary>
    public DataFormatException() : base("the data file is malformed") => FilePath = "";

    /// <summary>Creates an exception with a plain message.</summary>
    public DataFormatException(string message) : base(message) => FilePath = "";

    /// <summary>Creates an exception with a plain message and an inner cause.</summary>
    public DataFormatException(string message, Exception innerException) : base(message, innerException) => FilePath = "";

    /// <summary>Creates an exception located in <paramref name="filePath"/> (and a line and column when known).</summary>
    public DataFormatException(string filePath, string problem, long? line = null, string? column = null, Exception? innerException = null)
        : base(Format(filePath, problem, line, column), innerException)
    {
        FilePath = filePath;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The file that failed to read.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line of the offending row (the physical line where it starts), when known.</summary>
    public long? Line { get; }

    /// <summary>The name of the offending column, when known.</summary>
    public string? Column { get; }

    /// <summary>The problem alone, without the location prefix.</summary>
    public string? Problem { get; }

    private static string Format(string filePath, string problem, long? line, string? column)
    {
        var location = line is { } l ? string.Create(CultureInfo.InvariantCulture, $"{filePath}({l})") : filePath;
        return column is null ? $"{location}: {problem}" : $"{location}: column '{column}': {problem}";
    }
}
