using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Tests.Data.Text;

/// <summary>
/// A tiny whitespace tokenizer for tests: ids 0 [PAD], 1 [CLS], 2 [SEP], 3 &lt;|endoftext|&gt; (matched verbatim),
/// then each new word gets the next id. With special tokens a sequence becomes [CLS] … [SEP], as BERT's.
/// </summary>
internal sealed class WordTokenizer(int? padTokenId = 0, bool bertSpecials = true) : ITextTokenizer
{
    public const int Cls = 1;
    public const int Sep = 2;
    public const int Eos = 3;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal) { ["[PAD]"] = 0, ["[CLS]"] = 1, ["[SEP]"] = 2, ["<|endoftext|>"] = 3 };
    private readonly List<string> _words = ["[PAD]", "[CLS]", "[SEP]", "<|endoftext|>"];
    private readonly Lock _lock = new();

    public int VocabularySize => 1000;

    public int? PadTokenId => padTokenId;

    public int SpecialTokenCount => bertSpecials ? 2 : 0;

    public int[] Encode(string text)
    {
        lock (_lock)
        {
            return [.. text.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(Id)];
        }
    }

    public int[] Encode(string text, int maxTokens)
    {
        var all = Encode(text);
        return all.Length > maxTokens ? all[..maxTokens] : all;
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var words = new List<string>();
        lock (_lock)
        {
            foreach (var id in ids) words.Add(_words[id]);
        }
        return string.Join(' ', words);
    }

    public int[] AddSpecialTokens(int[] ids) => bertSpecials ? [Cls, .. ids, Sep] : [.. ids];

    /// <summary>The id of a word, assigning the next one if new.</summary>
    public int Id(string word)
    {
        lock (_lock)
        {
            if (_ids.TryGetValue(word, out var id)) return id;
            _ids[word] = _words.Count;
            _words.Add(word);
            return _words.Count - 1;
        }
    }
}
