using System.Text;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// Plain-text documents for language modelling (<c>data.dataset: text_lm</c>): a <c>.txt</c> file is one
/// document; a folder holds one document per <c>.txt</c> file, searched recursively and taken in ordinal order
/// of their paths relative to the folder (so the order, and the split, are the same on every machine).
/// </summary>
/// <remarks>Files are read as UTF-8 (a byte-order mark is dropped); CRLF line ends become LF.</remarks>
public static class PlainTextCorpus
{
    /// <summary>The documents at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>, or a folder holds no <c>.txt</c> file.</exception>
    public static List<TextDocument> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) return [new TextDocument(Path.GetFileName(path), ReadText(path))];
        if (!Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder (data.path of text_lm is a .txt file or a folder of them)", path);
        var files = Directory.EnumerateFiles(path, "*.txt", SearchOption.AllDirectories)
            .Select(f => (Full: f, Name: Path.GetRelativePath(path, f).Replace('\\', '/')))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) throw new FileNotFoundException($"{path}: the folder holds no .txt file", path);
        return [.. files.Select(f => new TextDocument(f.Name, ReadText(f.Full)))];
    }

    private static string ReadText(string file) =>
        File.ReadAllText(file, Encoding.UTF8).Replace("\r\n", "\n", StringComparison.Ordinal);
}
