namespace LowRankTrainer.Tokenizers;

/// <summary>
/// What the text datasets and models need from a tokenizer, whatever its algorithm (byte-level BPE,
/// WordPiece): text → ids, ids → text, the special tokens its post-processor wraps a sequence in, and
/// its padding id. <see cref="BatchEncoder"/> builds padded, truncated batches on top of it.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>The number of ids (the model's embedding rows must be at least this many).</summary>
    int VocabularySize { get; }

    /// <summary>The ids of <paramref name="text"/> without special tokens (HF's <c>add_special_tokens=False</c>).</summary>
    int[] Encode(string text);

    /// <summary>
    /// The first <paramref name="maxTokens"/> ids of <see cref="Encode(string)"/> (all of them when there are fewer),
    /// without encoding the rest: the pieces a text splits into are encoded independently, left to right, so the
    /// prefix is exact. Truncation uses it, so a long document costs only what is kept.
    /// </summary>
    int[] Encode(string text, int maxTokens);

    /// <summary>The text of <paramref name="ids"/> (special tokens included as their content).</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>The id used for padding, or null when the tokenizer defines none (GPT-2: pad with EOS by choice).</summary>
    int? PadTokenId { get; }

    /// <summary>How many ids <see cref="AddSpecialTokens"/> adds to one sequence (BERT: 2, [CLS] and [SEP]; GPT-2: 0).</summary>
    int SpecialTokenCount { get; }

    /// <summary>One sequence with the post-processor's special tokens around it (HF's <c>add_special_tokens=True</c>).</summary>
    int[] AddSpecialTokens(int[] ids);
}
