using LowRankTrainer.Torch;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// The result of <see cref="GptBpeTokenizer.EncodeBatch"/>: token ids and attention masks (1 for a real
/// token, 0 for padding), one row per input text, padded on the right.
/// </summary>
public sealed class BatchEncoding
{
    internal BatchEncoding(long[][] inputIds, long[][] attentionMask)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
    }

    /// <summary>The token ids of each row, padding included.</summary>
    public IReadOnlyList<long[]> InputIds { get; }

    /// <summary>The attention mask of each row: 1 for a real token, 0 for a pad token.</summary>
    public IReadOnlyList<long[]> AttentionMask { get; }

    /// <summary>Whether every row has the same length (so the batch fits a 2-D tensor).</summary>
    public bool IsRectangular => InputIds.Count == 0 || InputIds.All(r => r.Length == InputIds[0].Length);

    /// <summary>
    /// The ids and masks as two int64 tensors of shape [rows, columns].
    /// </summary>
    /// <exception cref="InvalidOperationException">The rows differ in length (no padding, or rows longer
    /// than the maximum length without truncation).</exception>
    public (Tensor InputIds, Tensor AttentionMask) ToTensors(Device device = default)
    {
        if (!IsRectangular)
        {
            throw new InvalidOperationException(
                "the batch is ragged (rows of different lengths): encode with padding Longest or MaxLength, and truncation when rows can exceed the maximum length");
        }
        var rows = InputIds.Count;
        var columns = rows == 0 ? 0 : InputIds[0].Length;
        var ids = new long[rows * columns];
        var mask = new long[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            InputIds[r].CopyTo(ids, r * columns);
            AttentionMask[r].CopyTo(mask, r * columns);
        }
        var idsTensor = Tensor.From<long>(ids, [rows, columns], device);
        try
        {
            return (idsTensor, Tensor.From<long>(mask, [rows, columns], device));
        }
        catch
        {
            idsTensor.Dispose();
            throw;
        }
    }
}
