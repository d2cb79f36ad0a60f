namespace LowRankTrainer.Data.Text;

/// <summary>How text-classification examples become token rows (<c>data.max_length</c>, <c>data.add_special_tokens</c>, the pad id).</summary>
/// <param name="MaxLength">Tokens per row, special tokens included; longer texts keep their first tokens.</param>
/// <param name="PadTokenId">The id that fills each row on the right (see <see cref="SpecialTokenIds.Pad"/>).</param>
/// <param name="AddSpecialTokens">Wrap each text in the tokenizer's special tokens (BERT: [CLS] … [SEP]).</param>
public sealed record TextEncodingOptions(int MaxLength, int PadTokenId, bool AddSpecialTokens = true);
