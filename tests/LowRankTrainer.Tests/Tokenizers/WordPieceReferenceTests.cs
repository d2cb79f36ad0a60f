using System.Globalization;
using System.Text;
using System.Text.Json;
using LowRankTrainer.Tokenizers;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Tokenizers;

// The expected ids and decodes are HF's (Rust tokenizers 0.22.2 through its node binding), written by
// tools/fixtures/make_wordpiece_fixture.js into tests/fixtures/tokenizers/wordpiece/.
public class WordPieceReferenceTests(ITestOutputHelper output)
{
    internal sealed record Line(int Number, string Text, int[] Uncased, string UncasedDecoded, int[] Cased, string CasedDecoded);

    internal static readonly Lazy<List<Line>> Corpus = new(() =>
    {
        var lines = new List<Line>();
        var number = 0;
        foreach (var raw in File.ReadLines(Path.Combine(HfReferenceFiles.WordPieceDir, "corpus.jsonl"), Encoding.UTF8))
        {
            number++;
            if (raw.Length == 0) continue;
            using var doc = JsonDocument.Parse(raw);
            var r = doc.RootElement;
            static int[] Ids(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];
            lines.Add(new Line(number, r.GetProperty("text").GetString()!, Ids(r.GetProperty("uncased")), r.GetProperty("uncased_decoded").GetString()!,
                Ids(r.GetProperty("cased")), r.GetProperty("cased_decoded").GetString()!));
        }
        return lines;
    });

    private static string Dir(string variant) => Path.Combine(HfReferenceFiles.WordPieceDir, variant);

    private static string Show(IEnumerable<int> ids) => "[" + string.Join(",", ids) + "]";

    private void AssertCorpus(ITextTokenizer tokenizer, bool cased)
    {
        var corpus = Corpus.Value;
        var wordPiece = Assert.IsType<WordPieceTokenizer>(tokenizer);
        var mismatches = new List<string>();
        var decodeMismatches = new List<string>();
        long tokens = 0, unknown = 0;
        var unk = wordPiece.TokenToId("[UNK]");
        foreach (var line in corpus)
        {
            var expected = cased ? line.Cased : line.Uncased;
            var ids = tokenizer.AddSpecialTokens(tokenizer.Encode(line.Text));
            tokens += ids.Length;
            unknown += ids.Count(i => i == unk);
            if (!ids.AsSpan().SequenceEqual(expected))
            {
                mismatches.Add(string.Create(CultureInfo.InvariantCulture,
                    $"line {line.Number}: {JsonSerializer.Serialize(line.Text)}\n  HF   {Show(expected)}\n  ours {Show(ids)}"));
            }
            var decoded = tokenizer.Decode(expected);
            var expectedDecoded = cased ? line.CasedDecoded : line.UncasedDecoded;
            if (decoded != expectedDecoded)
            {
                decodeMismatches.Add($"line {line.Number}: HF {JsonSerializer.Serialize(expectedDecoded)}\n  ours {JsonSerializer.Serialize(decoded)}");
            }
        }
        output.WriteLine($"{corpus.Count} lines, {tokens} ids ({unknown} [UNK]), {mismatches.Count} id mismatches, {decodeMismatches.Count} decode mismatches");
        Assert.True(corpus.Count >= 5000);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {corpus.Count} lines differ from HF:\n" + string.Join("\n", mismatches.Take(10)));
        Assert.True(decodeMismatches.Count == 0, $"{decodeMismatches.Count} decodes differ from HF:\n" + string.Join("\n", decodeMismatches.Take(10)));
    }

    [Fact]
    public void Uncased_FromVocabTxt_EveryLineGivesHfIdsAndDecode() =>
        AssertCorpus(WordPieceTokenizer.FromVocabFile(Path.Combine(Dir("uncased"), "vocab.txt")), cased: false);

    [Fact]
    public void Uncased_FromTokenizerJson_EveryLineGivesHfIdsAndDecode() =>
        AssertCorpus(HfTokenizerJson.LoadTokenizer(Path.Combine(Dir("uncased"), "tokenizer.json")), cased: false);

    // The cased vocab.txt takes do_lower_case: false from the tokenizer_config.json beside it.
    [Fact]
    public void Cased_FromVocabTxtAndConfig_EveryLineGivesHfIdsAndDecode() =>
        AssertCorpus(TokenizerFiles.Load(Path.Combine(Dir("cased"), "vocab.txt")), cased: true);

    [Fact]
    public void Cased_FromTokenizerJsonWithTemplateProcessing_EveryLineGivesHfIdsAndDecode() =>
        AssertCorpus(TokenizerFiles.Load(Dir("cased")), cased: true);

    [Fact]
    public void Corpus_CoversTheWordPieceEdgeCases()
    {
        var texts = Corpus.Value.Select(l => l.Text).ToList();
        Assert.Contains(texts, t => t.Contains("[MASK]", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Length > 100 && !t.Contains(' ', StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Any(c => c is >= '\u4E00' and <= '\u9FFF'));
        Assert.Contains(texts, t => t.Contains('\u0000', StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains('\uFFFD', StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains('\u0301', StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("Received:", StringComparison.Ordinal));
        // The vocabularies were trained by HF: ordinary words are single pieces, rarer ones split with ##.
        var uncased = WordPieceTokenizer.FromVocabFile(Path.Combine(Dir("uncased"), "vocab.txt"));
        Assert.Equal(8000, uncased.VocabularySize);
        Assert.Single(uncased.Encode("The"));
        Assert.Contains(uncased.Encode("antidisestablishmentarianism").Select(i => uncased.IdToToken(i)!), t => t.StartsWith("##", StringComparison.Ordinal));
    }

    [Fact]
    public void Loaders_GiveBertSpecialTokensAndPadding()
    {
        foreach (var tokenizer in new[]
        {
            TokenizerFiles.Load(Path.Combine(Dir("uncased"), "vocab.txt")), TokenizerFiles.Load(Dir("uncased")),
            TokenizerFiles.Load(Path.Combine(Dir("cased"), "vocab.txt")), TokenizerFiles.Load(Dir("cased")),
        })
        {
            Assert.Equal(0, tokenizer.PadTokenId);
            Assert.Equal(2, tokenizer.SpecialTokenCount);
            Assert.Equal([2, 7, 8, 3], tokenizer.AddSpecialTokens([7, 8]));
            Assert.Equal([4], tokenizer.Encode("[MASK]"));
        }
        Assert.False(((WordPieceTokenizer)TokenizerFiles.Load(Path.Combine(Dir("cased"), "vocab.txt"))).Options.Normalizer!.Lowercase);
        Assert.True(((WordPieceTokenizer)TokenizerFiles.Load(Path.Combine(Dir("uncased"), "vocab.txt"))).Options.Normalizer!.Lowercase);
    }

    // HF's encodeBatch with truncation (room left for [CLS] and [SEP]) and padding with [PAD].
    [Fact]
    public void BatchEncoder_WithSpecialTokens_MatchesHfEncodeBatch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(HfReferenceFiles.WordPieceDir, "batch.json")));
        var texts = doc.RootElement.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToList();
        var tokenizer = WordPieceTokenizer.FromVocabFile(Path.Combine(Dir("uncased"), "vocab.txt"));
        var count = 0;
        foreach (var batch in doc.RootElement.GetProperty("batches").EnumerateArray())
        {
            var maxLength = batch.GetProperty("maxLength").GetInt32();
            var padding = Enum.Parse<PaddingStrategy>(batch.GetProperty("padding").GetString()!);
            var ours = tokenizer.EncodeBatch(texts, maxLength, padding, truncation: true);
            var ids = batch.GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt64()).ToArray()).ToList();
            var mask = batch.GetProperty("mask").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt64()).ToArray()).ToList();
            for (var r = 0; r < texts.Count; r++)
            {
                Assert.Equal(ids[r], ours.InputIds[r]);
                Assert.Equal(mask[r], ours.AttentionMask[r]);
                Assert.True(ids[r].Length <= maxLength);
                Assert.Equal(2L, ours.InputIds[r][0]);
                count++;
            }
        }
        Assert.True(count >= 32);
    }

    // The committed fixtures are what the script makes: rerun it with node into a scratch folder and compare.
    [HfTokenizersFact]
    public void Fixture_RegeneratedWithHf_IsIdentical()
    {
        using var dir = new LowRankTrainer.Tests.Data.TestPaths.TempDir();
        var committedRoot = Path.GetDirectoryName(HfReferenceFiles.WordPieceDir)!;
        // HF's WordPiece trainer breaks ties in hash order, so the script reuses the committed vocab.txt files;
        // everything HF computes from them (and the deterministic BPE training) must come out byte for byte.
        output.WriteLine(HfReferenceFiles.RunNode([Path.Combine(Gpt2Files.RepoRoot, "tools", "fixtures", "make_wordpiece_fixture.js"),
            HfReferenceFiles.Binding, dir.Path, committedRoot]));
        var files = new[] { "wordpiece", "hf_bpe" }
            .SelectMany(sub => Directory.EnumerateFiles(Path.Combine(committedRoot, sub), "*", SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(committedRoot, f)).Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 9, $"only {files.Count} fixture files");
        foreach (var file in files)
        {
            var regenerated = Path.Combine(dir.Path, file);
            Assert.True(File.Exists(regenerated), $"the script no longer writes {file}");
            Assert.True(File.ReadAllBytes(Path.Combine(committedRoot, file)).AsSpan().SequenceEqual(File.ReadAllBytes(regenerated)),
                $"tests/fixtures/tokenizers/{file} differs from what tools/fixtures/make_wordpiece_fixture.js writes now: rerun the script and commit");
        }
    }
}
