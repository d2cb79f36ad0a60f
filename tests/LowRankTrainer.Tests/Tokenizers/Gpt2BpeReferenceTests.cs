using System.Globalization;
using System.Text;
using System.Text.Json;
using LowRankTrainer.Tokenizers;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Tokenizers;

// The expected ids come from the JavaScript reference encoder (npm gpt-3-encoder@1.1.4, Encoder.js),
// written by tools/fixtures/make_gpt2_bpe_fixture.js into tests/fixtures/tokenizers/gpt2_bpe/corpus.jsonl.
public class Gpt2BpeReferenceTests(ITestOutputHelper output)
{
    internal sealed record Line(int Number, string Text, int[] Ids);

    internal static readonly Lazy<List<Line>> Corpus = new(LoadCorpus);

    private static List<Line> LoadCorpus()
    {
        var path = Path.Combine(Gpt2Files.FixtureDir, "corpus.jsonl");
        var lines = new List<Line>();
        var number = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (raw.Length == 0) continue;
            using var doc = JsonDocument.Parse(raw);
            var text = doc.RootElement.GetProperty("text").GetString()!;
            var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            lines.Add(new Line(number, text, ids));
        }
        return lines;
    }

    private static string Show(IEnumerable<int> ids) => "[" + string.Join(",", ids) + "]";

    [Fact]
    public void Corpus_IsLargeAndVaried()
    {
        var corpus = Corpus.Value;
        Assert.True(corpus.Count >= 5000, $"the corpus has {corpus.Count} lines, fewer than 5,000");
        Assert.Contains(corpus, l => l.Text.Contains('\t', StringComparison.Ordinal));
        Assert.Contains(corpus, l => l.Text.Contains("  ", StringComparison.Ordinal));
        Assert.Contains(corpus, l => l.Text.Contains('\n', StringComparison.Ordinal));
        Assert.Contains(corpus, l => l.Text.StartsWith("Received:", StringComparison.Ordinal));
        Assert.Contains(corpus, l => l.Text.Contains('\u200D', StringComparison.Ordinal)); // ZWJ emoji
        Assert.Contains(corpus, l => l.Text.Any(c => c is >= '\u4E00' and <= '\u9FFF')); // CJK
        Assert.Contains(corpus, l => l.Text.Any(c => c is >= '\u0400' and <= '\u04FF')); // Cyrillic
        Assert.Contains(corpus, l => l.Text.Any(c => c is >= '\u0600' and <= '\u06FF')); // Arabic
        Assert.Contains(corpus, l => l.Text.Any(char.IsSurrogate)); // astral code points
        Assert.Contains(corpus, l => l.Text.Contains("'LL", StringComparison.Ordinal));
    }

    [Gpt2VocabFact]
    public void Encode_EveryCorpusLine_GivesTheJavaScriptReferenceIds()
    {
        var tokenizer = Gpt2Files.Tokenizer;
        var corpus = Corpus.Value;
        var mismatches = new List<string>();
        long tokens = 0;
        foreach (var line in corpus)
        {
            var ids = tokenizer.Encode(line.Text);
            tokens += ids.Length;
            if (!ids.AsSpan().SequenceEqual(line.Ids))
            {
                mismatches.Add(string.Create(CultureInfo.InvariantCulture,
                    $"line {line.Number}: {JsonSerializer.Serialize(line.Text)}\n  reference {Show(line.Ids)}\n  ours      {Show(ids)}"));
            }
        }
        output.WriteLine($"{corpus.Count} lines, {tokens} tokens, {mismatches.Count} mismatches");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {corpus.Count} lines differ from the reference:\n" + string.Join("\n", mismatches.Take(10)));
    }

    [Gpt2VocabFact]
    public void DecodeEncode_EveryCorpusLine_RoundTrips()
    {
        var tokenizer = Gpt2Files.Tokenizer;
        var failures = Corpus.Value.Where(l => tokenizer.Decode(tokenizer.Encode(l.Text)) != l.Text).Select(l => l.Number).ToList();
        Assert.True(failures.Count == 0, $"decode(encode(x)) != x on lines {string.Join(", ", failures.Take(20))}");
    }

    [Gpt2VocabFact]
    public void Decode_ReferenceIds_GivesTheText()
    {
        var tokenizer = Gpt2Files.Tokenizer;
        var failures = Corpus.Value.Where(l => tokenizer.Decode(l.Ids) != l.Text).Select(l => l.Number).ToList();
        Assert.True(failures.Count == 0, $"decode(reference ids) != text on lines {string.Join(", ", failures.Take(20))}");
    }

    [Gpt2VocabFact]
    public void EncodeBatch_Corpus_RowsEqualSingleEncodes()
    {
        var tokenizer = Gpt2Files.Tokenizer;
        var texts = Corpus.Value.Take(64).Select(l => l.Text).ToList();
        var batch = tokenizer.EncodeBatch(texts, padding: PaddingStrategy.Longest, padTokenId: 50256);
        var longest = Corpus.Value.Take(64).Max(l => l.Ids.Length);
        for (var r = 0; r < texts.Count; r++)
        {
            var reference = Corpus.Value[r].Ids;
            Assert.Equal(longest, batch.InputIds[r].Length);
            Assert.Equal(reference.Select(i => (long)i), batch.InputIds[r].Take(reference.Length));
            Assert.All(batch.InputIds[r].Skip(reference.Length), id => Assert.Equal(50256L, id));
            Assert.Equal(reference.Length, batch.AttentionMask[r].Sum());
        }
    }

    [Gpt2VocabFact]
    public void FromFiles_Gpt2_HasTheGpt2Sizes()
    {
        var tokenizer = Gpt2Files.Tokenizer;
        Assert.Equal(50257, tokenizer.VocabularySize);
        Assert.Equal(50000, tokenizer.Merges.Count);
        Assert.Equal("<|endoftext|>", tokenizer.IdToToken(50256));
    }

    // The committed fixture is what the script makes: rerun it with node into a scratch folder and compare.
    [NodeReferenceFact]
    public void Fixture_RegeneratedWithNode_IsIdentical()
    {
        using var dir = new LowRankTrainer.Tests.Data.TestPaths.TempDir();
        var script = Path.Combine(Gpt2Files.RepoRoot, "tools", "fixtures", "make_gpt2_bpe_fixture.js");
        var start = new System.Diagnostics.ProcessStartInfo(Gpt2Files.FindOnPath("node")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(Path.Combine(Gpt2Files.VocabDir, "Encoder.js"));
        start.ArgumentList.Add(dir.Path);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        output.WriteLine(process.StandardOutput.ReadToEnd());
        Assert.True(process.WaitForExit(120_000), "the fixture script did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, $"the fixture script failed ({process.ExitCode}): {stderr.Result}");
        var committed = File.ReadAllBytes(Path.Combine(Gpt2Files.FixtureDir, "corpus.jsonl"));
        var regenerated = File.ReadAllBytes(dir.File("corpus.jsonl"));
        Assert.True(committed.AsSpan().SequenceEqual(regenerated),
            "tests/fixtures/tokenizers/gpt2_bpe/corpus.jsonl differs from what tools/fixtures/make_gpt2_bpe_fixture.js writes now: rerun the script and commit");
    }

    // The pre-tokenizer's classes on every code point against node's regex engine (the fixture's
    // char_classes.json). The only differences allowed are code points that .NET's Unicode tables do
    // not assign yet (node's ICU may know a newer Unicode version); they are counted and printed.
    [Fact]
    public void Classify_EveryCodePoint_MatchesNodeRegexClasses()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Gpt2Files.FixtureDir, "char_classes.json")));
        var unassignedInDotnet = 0;
        var covered = 0;
        var wrong = new List<string>();
        foreach (var run in doc.RootElement.GetProperty("runs").EnumerateArray())
        {
            var first = run[0].GetInt32();
            var last = run[1].GetInt32();
            var expected = run[2].GetString() switch
            {
                "W" => Gpt2CharClass.Whitespace,
                "L" => Gpt2CharClass.Letter,
                "N" => Gpt2CharClass.Number,
                "O" => Gpt2CharClass.Other,
                var other => throw new InvalidDataException($"unknown class {other}"),
            };
            for (var cp = first; cp <= last; cp++)
            {
                covered++;
                var actual = Gpt2PreTokenizer.Classify(cp);
                if (actual == expected) continue;
                if (CharUnicodeInfo.GetUnicodeCategory(cp) == UnicodeCategory.OtherNotAssigned) unassignedInDotnet++;
                else wrong.Add(string.Create(CultureInfo.InvariantCulture, $"U+{cp:X4}: node {expected}, ours {actual}"));
            }
        }
        output.WriteLine($"node {doc.RootElement.GetProperty("node").GetString()} Unicode {doc.RootElement.GetProperty("unicode").GetString()}: " +
                         $"{covered} code points, {unassignedInDotnet} differ only because .NET does not assign them yet");
        Assert.Equal(0x110000, covered);
        Assert.True(wrong.Count == 0, $"{wrong.Count} code points classified differently:\n" + string.Join("\n", wrong.Take(20)));
    }
}
