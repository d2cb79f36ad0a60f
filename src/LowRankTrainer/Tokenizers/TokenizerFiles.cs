namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Finds and loads the tokenizer of a model folder or file, as Hugging Face's <c>AutoTokenizer</c> does from a
/// checkpoint folder: <c>tokenizer.json</c> first; else GPT-2's <c>vocab.json</c> + <c>merges.txt</c> (or the
/// original <c>encoder.json</c> + <c>vocab.bpe</c>).
/// </summary>
public static class TokenizerFiles
{
    /// <summary>Loads the tokenizer at <paramref name="path"/> (a <c>tokenizer.json</c> file or a folder).</summary>
    /// <exception cref="FileNotFoundException">Nothing the loader knows is at <paramref name="path"/>; the message lists what was looked for.</exception>
    public static ITextTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) return HfTokenizerJson.Load(path);
        if (!Directory.Exists(path)) throw new FileNotFoundException($"tokenizer: '{path}' is neither a tokenizer.json file nor a folder", path);
        var json = Path.Combine(path, "tokenizer.json");
        if (File.Exists(json)) return HfTokenizerJson.Load(json);
        foreach (var (vocab, merges) in new[] { ("vocab.json", "merges.txt"), ("encoder.json", "vocab.bpe") })
        {
            var v = Path.Combine(path, vocab);
            var m = Path.Combine(path, merges);
            if (File.Exists(v) && File.Exists(m)) return GptBpeTokenizer.FromFiles(v, m);
        }
        throw new FileNotFoundException(
            $"tokenizer: '{path}' holds none of tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe", path);
    }
}
