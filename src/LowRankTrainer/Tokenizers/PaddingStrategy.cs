namespace LowRankTrainer.Tokenizers;

/// <summary>How <see cref="GptBpeTokenizer.EncodeBatch"/> pads, with Hugging Face's meanings.</summary>
public enum PaddingStrategy
{
    /// <summary>No padding: each row keeps its own length (the batch may be ragged).</summary>
    None,

    /// <summary>Pad every row on the right to the longest row of the batch (after truncation).</summary>
    Longest,

    /// <summary>
    /// Pad every row on the right to the given maximum length; a row longer than that (when truncation
    /// is off) is left as it is, as Hugging Face does, and the batch is then ragged.
    /// </summary>
    MaxLength,
}
