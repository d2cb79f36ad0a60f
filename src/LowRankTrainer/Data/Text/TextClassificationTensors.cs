using LowRankTrainer.Tokenizers;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// Tokenizes labelled texts into the project's text-classification layout: a <see cref="TensorDataset"/> whose
/// inputs are int64 token ids <c>[N, T]</c> padded on the right with the pad id, and whose targets are int64
/// class indices <c>[N]</c>. The models derive the attention mask as <c>ids != pad id</c> (HF's
/// <c>GPT2ForSequenceClassification</c> convention), so padding uses exactly that id.
/// </summary>
/// <remarks>
/// Texts are truncated to <see cref="TextEncodingOptions.MaxLength"/> tokens (special tokens included, as HF's
/// <c>truncation=True, max_length=…</c>), and T is the longest row after truncation — at most MaxLength — so a
/// set of short texts is not padded to a length nothing reaches.
/// </remarks>
public static class TextClassificationTensors
{
    /// <summary>Tokenizes <paramref name="examples"/> and numbers their labels with <paramref name="labels"/>.</summary>
    /// <exception cref="DataFormatException">A label has no class (file, line and field named).</exception>
    /// <exception cref="ArgumentException">MaxLength leaves no room beside the special tokens, or there are no examples.</exception>
    public static TensorDataset Build(ITextTokenizer tokenizer, IReadOnlyList<LabeledText> examples, TextLabels labels, TextEncodingOptions options, string what)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        if (examples.Count == 0) throw new ArgumentException($"{what}: no examples");
        var targets = new long[examples.Count];
        for (var i = 0; i < examples.Count; i++) targets[i] = labels.IndexOf(examples[i]);
        var encoding = BatchEncoder.Encode(tokenizer, [.. examples.Select(e => e.Text)], options.MaxLength,
            PaddingStrategy.Longest, truncation: true, options.PadTokenId, options.AddSpecialTokens);

        // Long-lived: join no scope the caller may have open.
        using var _ = DisposeScope.Suspend();
        var (ids, mask) = encoding.ToTensors();
        mask.Dispose();
        try
        {
            return new TensorDataset(ids, Tensor.From<long>(targets, [targets.Length]), labels.ClassNames);
        }
        catch
        {
            ids.Dispose();
            throw;
        }
    }
}
