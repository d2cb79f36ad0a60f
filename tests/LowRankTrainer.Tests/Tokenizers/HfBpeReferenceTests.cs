using System.Globalization;
using System.Text;
using System.Text.Json;
using LowRankTrainer.Tokenizers;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Tokenizers;

// A byte-level BPE tokenizer.json trained and written by HF's Rust tokenizers itself (on the Brown corpus; see
// tools/fixtures/make_wordpiece_fixture.js), with HF's ids for every line of tests/fixtures/tokenizers/hf_bpe/corpus.jsonl.
public class HfBpeReferenceTests(ITestOutputHelper output)
{
    [Fact]
    public void HfWrittenTokenizerJson_EveryLineGivesHfIdsAndDecode()
    {
        var path = Path.Combine(HfReferenceFiles.BpeDir, "tokenizer.json");
        var tokenizer = HfTokenizerJson.Load(path);
        Assert.Same(typeof(GptBpeTokenizer), HfTokenizerJson.LoadTokenizer(path).GetType());
        Assert.True(tokenizer.AddPrefixSpace);
        var mismatches = new List<string>();
        var decodes = new List<int>();
        var lines = 0;
        long tokens = 0;
        foreach (var raw in File.ReadLines(Path.Combine(HfReferenceFiles.BpeDir, "corpus.jsonl"), Encoding.UTF8))
        {
            if (raw.Length == 0) continue;
            lines++;
            using var doc = JsonDocument.Parse(raw);
            var text = doc.RootElement.GetProperty("text").GetString()!;
            int[] expected = [.. doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())];
            var decoded = doc.RootElement.TryGetProperty("decoded", out var d) ? d.GetString()! : text;
            var ids = tokenizer.Encode(text);
            tokens += ids.Length;
            if (!ids.AsSpan().SequenceEqual(expected))
            {
                mismatches.Add(string.Create(CultureInfo.InvariantCulture,
                    $"line {lines}: {JsonSerializer.Serialize(text)}\n  HF   [{string.Join(",", expected)}]\n  ours [{string.Join(",", ids)}]"));
            }
            // HF's ByteLevel decoder gives the text with the prefix space the pre-tokenizer added.
            if (tokenizer.Decode(expected) != decoded) decodes.Add(lines);
        }
        output.WriteLine($"{lines} lines, {tokens} ids, {mismatches.Count} id mismatches, {decodes.Count} decode mismatches");
        Assert.True(lines >= 2000);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} lines differ from HF:\n" + string.Join("\n", mismatches.Take(10)));
        Assert.True(decodes.Count == 0, $"decodes differ from HF on lines {string.Join(", ", decodes.Take(20))}");
    }
}
