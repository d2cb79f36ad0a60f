using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Tokenizers;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Tokenizers;

public class BertNormalizerTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Café  Crème\tBRÛLÉE", "cafe  creme brulee")]
    [InlineData("a\u0000b\uFFFDc\u200Bd\u0001e", "abcde")]
    [InlineData("x\u3000y\u00A0z\r\nw", "x y z  w")]
    [InlineData("你好ab", " 你  好 ab")]
    [InlineData("İ", "i")]
    [InlineData("한", "\u1112\u1161\u11AB")]
    public void Uncased_NormalizesAsBert(string text, string expected) => Assert.Equal(expected, new BertNormalizer().Normalize(text));

    [Fact]
    public void Cased_KeepsCaseAndAccents_LoneSurrogateIsRemoved()
    {
        var cased = new BertNormalizer(lowercase: false);
        Assert.False(cased.StripAccents);
        Assert.Equal("Café İ", cased.Normalize("Café İ"));
        Assert.Equal("ab", cased.Normalize("a\uD800b"));
        Assert.Equal("i\u0307", new BertNormalizer(stripAccents: false).Normalize("İ"));
    }

    [Fact]
    public void PreTokenizer_SplitsOnWhitespaceAndIsolatesPunctuation()
    {
        const string text = "Hey friend!     How are you?!? $5 a-b";
        var words = BertPreTokenizer.Split(text).Select(w => text.Substring(w.Start, w.Length));
        Assert.Equal(["Hey", "friend", "!", "How", "are", "you", "?", "!", "?", "$", "5", "a", "-", "b"], words);
    }

    // Every code point through HF's own BertNormalizer (uncased and cased) and BertPreTokenizer, run live through
    // node: ours must agree except on code points .NET does not assign yet (its lowercase tables are older than Rust's).
    [HfTokenizersFact]
    public void EveryCodePoint_NormalizesAndSplitsAsHf()
    {
        const string script = """
            const t = require(process.argv[1]);
            const u = t.bertNormalizer({ lowercase: true }), c = t.bertNormalizer({ lowercase: false }), p = t.bertPreTokenizer();
            const out = [];
            for (let cp = 0; cp <= 0x10ffff; cp++) {
              if (cp >= 0xd800 && cp <= 0xdfff) continue;
              const s = String.fromCodePoint(cp), us = u.normalizeString(s), cs = c.normalizeString(s), n = p.preTokenizeString('a' + s + 'b').length;
              if (us !== s || cs !== s || n !== 1) out.push([cp, us, cs, n]);
            }
            process.stdout.write(JSON.stringify(out));
            """;
        using var doc = JsonDocument.Parse(HfReferenceFiles.RunNode(["-e", script, HfReferenceFiles.Binding]));
        var hf = doc.RootElement.EnumerateArray().ToDictionary(e => e[0].GetInt32(), e => (e[1].GetString()!, e[2].GetString()!, e[3].GetInt32()));
        var uncased = new BertNormalizer();
        var cased = new BertNormalizer(lowercase: false);
        var wrong = new List<string>();
        var unassigned = 0;
        for (var cp = 0; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            var s = char.ConvertFromUtf32(cp);
            var (u, c, n) = hf.TryGetValue(cp, out var v) ? v : (s, s, 1);
            var pieces = BertPreTokenizer.Split("a" + s + "b").Count;
            var (ou, oc) = (uncased.Normalize(s), cased.Normalize(s));
            if (ou == u && oc == c && pieces == n) continue;
            if (CharUnicodeInfo.GetUnicodeCategory(cp) == UnicodeCategory.OtherNotAssigned)
            {
                unassigned++;
                continue;
            }
            wrong.Add(string.Create(CultureInfo.InvariantCulture, $"U+{cp:X4}: HF {JsonSerializer.Serialize(u)} {JsonSerializer.Serialize(c)} {n}, ours {JsonSerializer.Serialize(ou)} {JsonSerializer.Serialize(oc)} {pieces}"));
        }
        output.WriteLine($"{hf.Count} code points HF changes or splits; {wrong.Count} differ; {unassigned} differ only where .NET assigns nothing yet");
        Assert.True(wrong.Count == 0, $"{wrong.Count} code points differ from HF:\n" + string.Join("\n", wrong.Take(20)));
    }

    // The generated tables are what the script makes from HF now.
    [HfTokenizersFact]
    public void UnicodeTables_RegeneratedWithHf_AreIdentical()
    {
        using var dir = new LowRankTrainer.Tests.Data.TestPaths.TempDir();
        var regenerated = dir.File("BertUnicodeTables.g.cs");
        output.WriteLine(HfReferenceFiles.RunNode([Path.Combine(Gpt2Files.RepoRoot, "tools", "fixtures", "make_bert_unicode_tables.js"), HfReferenceFiles.Binding, regenerated]));
        var committed = Path.Combine(Gpt2Files.RepoRoot, "src", "LowRankTrainer", "Tokenizers", "BertUnicodeTables.g.cs");
        Assert.True(File.ReadAllBytes(committed).AsSpan().SequenceEqual(File.ReadAllBytes(regenerated)),
            "src/LowRankTrainer/Tokenizers/BertUnicodeTables.g.cs differs from what tools/fixtures/make_bert_unicode_tables.js writes now: rerun it and commit");
    }
}
