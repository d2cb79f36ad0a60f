namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Everything a <see cref="WordPieceTokenizer"/> needs beside its vocabulary, each with Hugging Face's default for a
/// BERT tokenizer: the model's unknown token, continuing-subword prefix and word-length limit; the normaliser; the
/// added tokens matched before normalisation; the post-processor's special tokens; the padding id; the decoder.
/// </summary>
public sealed record WordPieceOptions
{
    /// <summary>The token a word becomes when it cannot be split into vocabulary pieces or is too long; must be in the vocabulary.</summary>
    public string UnkToken { get; init; } = "[UNK]";

    /// <summary>The prefix of a piece that continues a word (BERT: <c>##</c>).</summary>
    public string ContinuingSubwordPrefix { get; init; } = "##";

    /// <summary>Words longer than this many code points become <see cref="UnkToken"/> (HF's <c>max_input_chars_per_word</c>, 100).</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    /// <summary>The normaliser, or null for none (the text is only pre-tokenised).</summary>
    public BertNormalizer? Normalizer { get; init; } = new();

    /// <summary>Tokens matched verbatim in the raw text before normalisation (BERT: [PAD], [UNK], [CLS], [SEP], [MASK]).</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; init; } = [];

    /// <summary>The ids the post-processor puts before a sequence (BERT: [CLS]).</summary>
    public IReadOnlyList<int> SpecialIdsBefore { get; init; } = [];

    /// <summary>The ids the post-processor puts after a sequence (BERT: [SEP]).</summary>
    public IReadOnlyList<int> SpecialIdsAfter { get; init; } = [];

    /// <summary>The padding id, or null when the tokenizer defines none.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>The prefix the WordPiece decoder removes to glue a piece to the previous one (HF's decoder <c>prefix</c>).</summary>
    public string DecoderPrefix { get; init; } = "##";

    /// <summary>Whether the decoder removes the spaces that encoding put before punctuation and in contractions (HF's <c>cleanup</c>).</summary>
    public bool DecoderCleanup { get; init; } = true;
}
