// Tokenizer throughput, C# leg (see tools/bench/tokenizer.sh): GPT-2 BPE encode of every text of the
// corpus, one thread. Prints one JSON line: UTF-8 bytes and tokens per pass, the cold pass (a fresh
// tokenizer, empty piece cache), the number of warm-up passes (3 s) and the timed warm passes, in seconds.
// Usage: TokenizerBench CORPUS.jsonl ENCODER.json VOCAB.bpe PASSES
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LowRankTrainer.Tokenizers;

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: TokenizerBench CORPUS.jsonl ENCODER.json VOCAB.bpe PASSES");
    return 2;
}
var texts = File.ReadLines(args[0], Encoding.UTF8)
    .Where(l => l.Length > 0)
    .Select(l => { using var d = JsonDocument.Parse(l); return d.RootElement.GetProperty("text").GetString()!; })
    .ToList();
var passes = int.Parse(args[3], CultureInfo.InvariantCulture);
var bytes = texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t));
var tokenizer = GptBpeTokenizer.FromFiles(args[1], args[2]);

long Pass()
{
    long tokens = 0;
    foreach (var text in texts) tokens += tokenizer.Encode(text).Length;
    return tokens;
}

var watch = Stopwatch.StartNew();
var tokensPerPass = Pass();
var cold = watch.Elapsed.TotalSeconds;
// Warm-up: passes until 3 s have gone by (at least 2), so tiered JIT has reached its optimised code;
// the JavaScript leg does the same for V8.
var warmups = 0;
watch.Restart();
while (warmups < 2 || watch.Elapsed.TotalSeconds < 3)
{
    Pass();
    warmups++;
}
var warm = new List<double>();
for (var p = 0; p < passes; p++)
{
    watch.Restart();
    var n = Pass();
    warm.Add(watch.Elapsed.TotalSeconds);
    if (n != tokensPerPass) throw new InvalidOperationException("token count changed between passes");
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"leg\":\"csharp\",\"runtime\":\".NET {Environment.Version}\",\"texts\":{texts.Count},\"bytes\":{bytes},\"tokens\":{tokensPerPass},\"warmup_passes\":{warmups},\"cold_s\":{cold:R},\"warm_s\":[{string.Join(",", warm.Select(w => w.ToString("R", CultureInfo.InvariantCulture)))}]}}"));
return 0;
