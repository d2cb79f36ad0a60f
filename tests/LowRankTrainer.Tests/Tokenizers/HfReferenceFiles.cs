using System.Diagnostics;

namespace LowRankTrainer.Tests.Tokenizers;

/// <summary>
/// Where the Hugging Face reference lives: HF's Rust tokenizers through its node binding (unpacked by tools/setup.sh
/// into artifacts/data/hf-tokenizers/), the fixtures it wrote (tests/fixtures/tokenizers/wordpiece, hf_bpe), and a
/// helper that runs a node script and fails with its stderr.
/// </summary>
internal static class HfReferenceFiles
{
    public static string Binding => Path.Combine(Gpt2Files.RepoRoot, "artifacts", "data", "hf-tokenizers", "index.js");

    public static string WordPieceDir => Path.Combine(Gpt2Files.RepoRoot, "tests", "fixtures", "tokenizers", "wordpiece");

    public static string BpeDir => Path.Combine(Gpt2Files.RepoRoot, "tests", "fixtures", "tokenizers", "hf_bpe");

    /// <summary>Runs node with <paramref name="arguments"/>; returns stdout; throws with stderr on failure.</summary>
    public static string RunNode(IEnumerable<string> arguments, int timeoutMs = 300_000)
    {
        var start = new ProcessStartInfo(Gpt2Files.FindOnPath("node")!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeoutMs)) throw new TimeoutException($"node {string.Join(' ', start.ArgumentList)} did not finish in {timeoutMs / 1000} s");
        if (process.ExitCode != 0) throw new InvalidOperationException($"node {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }
}

/// <summary>A fact that runs HF's tokenizers through node; skipped, with the reason, when node or the binding is absent.</summary>
public sealed class HfTokenizersFactAttribute : FactAttribute
{
    public HfTokenizersFactAttribute()
    {
        if (!File.Exists(HfReferenceFiles.Binding))
        {
            Skip = $"HF's tokenizers binding {HfReferenceFiles.Binding} is absent: run tools/setup.sh (npm @anush008/tokenizers@0.6.0)";
        }
        else if (Gpt2Files.FindOnPath("node") is null)
        {
            Skip = "node is not on PATH (apt-get install nodejs; tools/setup.sh installs it)";
        }
    }
}
