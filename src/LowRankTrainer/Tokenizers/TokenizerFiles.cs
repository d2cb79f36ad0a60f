using System.Text.Json;
using LowRankTrainer.Data;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Finds and loads the tokenizer of a model folder or file, as Hugging Face's <c>AutoTokenizer</c> does from a
/// checkpoint folder: <c>tokenizer.json</c> first (BPE or WordPiece, by its <c>model.type</c>); else GPT-2's
/// <c>vocab.json</c> + <c>merges.txt</c> (or the original <c>encoder.json</c> + <c>vocab.bpe</c>); else BERT's
/// <c>vocab.txt</c>, lowercasing unless <c>tokenizer_config.json</c> says <c>do_lower_case: false</c> (BERT uncased is
/// the default, as in HF's <c>BertTokenizer</c>).
/// </summary>
public static class TokenizerFiles
{
    /// <summary>Loads the tokenizer at <paramref name="path"/> (a <c>tokenizer.json</c> or <c>vocab.txt</c> file, or a folder).</summary>
    /// <exception cref="FileNotFoundException">Nothing the loader knows is at <paramref name="path"/>; the message lists what was looked for.</exception>
    /// <exception cref="DataFormatException">A file is malformed or unsupported; the message names it.</exception>
    public static ITextTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            return Path.GetExtension(path).Equals(".txt", StringComparison.OrdinalIgnoreCase)
                ? LoadVocabTxt(path)
                : HfTokenizerJson.LoadTokenizer(path);
        }
        if (!Directory.Exists(path)) throw new FileNotFoundException($"tokenizer: '{path}' is neither a tokenizer file nor a folder", path);
        var json = Path.Combine(path, "tokenizer.json");
        if (File.Exists(json)) return HfTokenizerJson.LoadTokenizer(json);
        foreach (var (vocab, merges) in new[] { ("vocab.json", "merges.txt"), ("encoder.json", "vocab.bpe") })
        {
            var v = Path.Combine(path, vocab);
            var m = Path.Combine(path, merges);
            if (File.Exists(v) && File.Exists(m)) return GptBpeTokenizer.FromFiles(v, m);
        }
        var txt = Path.Combine(path, "vocab.txt");
        if (File.Exists(txt)) return LoadVocabTxt(txt);
        throw new FileNotFoundException(
            $"tokenizer: '{path}' holds none of tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe, vocab.txt", path);
    }

    // BERT's vocab.txt with the options of the tokenizer_config.json beside it, if any.
    private static WordPieceTokenizer LoadVocabTxt(string vocabTxt)
    {
        bool lowercase = true, chinese = true;
        bool? strip = null;
        var config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vocabTxt))!, "tokenizer_config.json");
        if (File.Exists(config))
        {
            using var doc = HfTokenizerJson.Parse(config);
            var fields = new HfJsonFields(config);
            var root = doc.RootElement;
            fields.Expect(root, JsonValueKind.Object, "(root)", "an object");
            // Other keys (model_max_length, special token names, the class name…) do not change how text is split.
            lowercase = fields.Bool(root, "", "do_lower_case", true);
            chinese = fields.Bool(root, "", "tokenize_chinese_chars", true);
            if (root.TryGetProperty("strip_accents", out var s) && s.ValueKind != JsonValueKind.Null) strip = fields.Bool(root, "", "strip_accents", false);
        }
        return WordPieceTokenizer.FromVocabFile(vocabTxt, lowercase, strip, chinese);
    }

    /// <summary>The files of a tokenizer folder that HF's <c>AutoTokenizer</c> reads (copied beside saved weights).</summary>
    public static IReadOnlyList<string> KnownFiles { get; } =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe", "vocab.txt"];

    /// <summary>
    /// Copies the tokenizer at <paramref name="source"/> into <paramref name="folder"/>, so that a saved checkpoint
    /// folder is complete (HF's <c>save_pretrained</c> of model and tokenizer): a file is copied as
    /// <c>tokenizer.json</c>, a folder's <see cref="KnownFiles"/> under their names.
    /// </summary>
    public static void CopyTo(string source, string folder)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(folder);
        Directory.CreateDirectory(folder);
        if (File.Exists(source))
        {
            File.Copy(source, Path.Combine(folder, "tokenizer.json"), overwrite: true);
            return;
        }
        foreach (var name in KnownFiles)
        {
            var file = Path.Combine(source, name);
            if (File.Exists(file)) File.Copy(file, Path.Combine(folder, name), overwrite: true);
        }
    }
}
