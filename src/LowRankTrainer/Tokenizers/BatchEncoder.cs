namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Batch encoding with Hugging Face's semantics (<c>tokenizer(texts, padding=…, truncation=…, max_length=…)</c>)
/// for any <see cref="ITextTokenizer"/>: each text is encoded; with truncation a row keeps its first
/// <c>maxLength − SpecialTokenCount</c> ids (HF's <c>longest_first</c> on one sequence) before the special tokens
/// are added; rows are then padded on the right; the attention mask is 1 for real tokens and 0 for padding.
/// </summary>
public static class BatchEncoder
{
    /// <summary>Encodes <paramref name="texts"/> into padded rows.</summary>
    /// <exception cref="ArgumentException"><paramref name="maxLength"/> is missing but truncation or
    /// <see cref="PaddingStrategy.MaxLength"/> needs it, is not positive, or leaves no room beside the
    /// special tokens; a text is null.</exception>
    public static BatchEncoding Encode(ITextTokenizer tokenizer, IReadOnlyList<string> texts, int? maxLength = null,
        PaddingStrategy padding = PaddingStrategy.Longest, bool truncation = false, long padTokenId = 0, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        if (maxLength is <= 0) throw new ArgumentException($"maxLength must be positive, got {maxLength}", nameof(maxLength));
        if (truncation && maxLength is null) throw new ArgumentException("truncation needs maxLength", nameof(maxLength));
        if (padding == PaddingStrategy.MaxLength && maxLength is null) throw new ArgumentException("padding to MaxLength needs maxLength", nameof(maxLength));
        if (!Enum.IsDefined(padding)) throw new ArgumentOutOfRangeException(nameof(padding), padding, "unknown padding strategy");
        var special = addSpecialTokens ? tokenizer.SpecialTokenCount : 0;
        if (truncation && maxLength!.Value <= special)
            throw new ArgumentException($"maxLength {maxLength} leaves no room for text beside the {special} special tokens", nameof(maxLength));

        var encoded = new int[texts.Count][];
        for (var r = 0; r < texts.Count; r++)
        {
            var text = texts[r] ?? throw new ArgumentException($"text {r} is null", nameof(texts));
            var ids = truncation ? tokenizer.Encode(text, maxLength!.Value - special) : tokenizer.Encode(text);
            encoded[r] = addSpecialTokens ? tokenizer.AddSpecialTokens(ids) : ids;
        }
        var target = padding switch
        {
            PaddingStrategy.Longest => encoded.Length == 0 ? 0 : encoded.Max(e => e.Length),
            PaddingStrategy.MaxLength => maxLength!.Value,
            _ => 0,
        };
        var inputIds = new long[encoded.Length][];
        var masks = new long[encoded.Length][];
        for (var r = 0; r < encoded.Length; r++)
        {
            var length = Math.Max(encoded[r].Length, target);
            var row = new long[length];
            var mask = new long[length];
            for (var k = 0; k < encoded[r].Length; k++)
            {
                row[k] = encoded[r][k];
                mask[k] = 1;
            }
            for (var k = encoded[r].Length; k < length; k++) row[k] = padTokenId;
            inputIds[r] = row;
            masks[r] = mask;
        }
        return new BatchEncoding(inputIds, masks);
    }
}
