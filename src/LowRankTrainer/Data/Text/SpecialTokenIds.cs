using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// The padding and end-of-text ids a text dataset uses, from the config when it names them, else from the
/// tokenizer. One place decides them so that the data and the models (which mask ids equal to the pad id)
/// agree.
/// </summary>
public static class SpecialTokenIds
{
    /// <summary>The end-of-text spellings looked for, in order: GPT-2's, then SentencePiece/RoBERTa's.</summary>
    public static IReadOnlyList<string> EosCandidates { get; } = ["<|endoftext|>", "</s>"];

    /// <summary>The pad id: <paramref name="configured"/> (<c>data.pad_token_id</c>), else the tokenizer's.</summary>
    /// <exception cref="ArgumentException">Neither defines one (GPT-2), or the id is outside the vocabulary.</exception>
    public static int Pad(ITextTokenizer tokenizer, int? configured)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var id = configured ?? tokenizer.PadTokenId ?? throw new ArgumentException(
            "the tokenizer defines no pad token (GPT-2 has none); set data.pad_token_id, e.g. 50256 to pad with <|endoftext|>");
        CheckInVocabulary(tokenizer, id, "data.pad_token_id");
        return id;
    }

    /// <summary>
    /// The id placed between packed documents: <paramref name="configured"/> (<c>data.eos_token_id</c>), else
    /// the tokenizer's end-of-text token (<see cref="EosCandidates"/>), else null (documents are joined with
    /// no separator).
    /// </summary>
    /// <exception cref="ArgumentException">The configured id is outside the vocabulary.</exception>
    public static int? Eos(ITextTokenizer tokenizer, int? configured)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (configured is { } id)
        {
            CheckInVocabulary(tokenizer, id, "data.eos_token_id");
            return id;
        }
        foreach (var token in EosCandidates)
        {
            if (Lookup(tokenizer, token) is { } found) return found;
        }
        return null;
    }

    /// <summary>The id of the single token spelled <paramref name="token"/>, or null.</summary>
    private static int? Lookup(ITextTokenizer tokenizer, string token)
    {
        // GPT-2's encoder.json holds <|endoftext|> as an ordinary vocabulary entry that plain encoding never
        // produces (it splits the text into "<|", "endoftext", "|>"), so ask the vocabulary directly.
        if (tokenizer is GptBpeTokenizer bpe) return bpe.TokenToId(token) is >= 0 and var id ? id : null;
        // Any other tokenizer: a token it matches verbatim (an added/special token) encodes to one id.
        var ids = tokenizer.Encode(token);
        return ids.Length == 1 && tokenizer.Decode(ids) == token ? ids[0] : null;
    }

    private static void CheckInVocabulary(ITextTokenizer tokenizer, int id, string key)
    {
        if (id < 0 || id >= tokenizer.VocabularySize)
        {
            throw new ArgumentException($"{key} {id} is outside the tokenizer's vocabulary (ids 0–{tokenizer.VocabularySize - 1})");
        }
    }
}
