using LowRankTrainer.Tokenizers;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// Packs documents for causal language modelling (HF <c>run_clm</c>'s <c>group_texts</c>, nanoGPT's
/// <c>get_batch</c>): every document is tokenized, the end-of-text id is placed between consecutive documents,
/// the ids are concatenated into one stream, and the stream is cut into non-overlapping rows of
/// <c>blockSize + 1</c> tokens. Row k gives inputs <c>row[0..T)</c> and next-token targets <c>row[1..T]</c>
/// (T = blockSize), both int64 <c>[N, T]</c>; the tail shorter than a row is dropped.
/// </summary>
/// <remarks>
/// Rows are full, so there is no padding and no target is ignored (-100). Without an end-of-text id the
/// documents run into each other with no separator. A row may span a document boundary, as in GPT-2's own
/// training; the separator tells the model where one text ends.
/// </remarks>
public static class LmBlocks
{
    /// <summary>Tokenizes <paramref name="documents"/> (in order, without special tokens) and concatenates them with <paramref name="eosId"/> between.</summary>
    public static List<int> Stream(ITextTokenizer tokenizer, IReadOnlyList<TextDocument> documents, int? eosId)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(documents);
        // Tokenizing is the slow part (the Brown corpus is ~1.5M tokens) and the tokenizers are thread-safe.
        var encoded = new int[documents.Count][];
        Parallel.For(0, documents.Count, i => encoded[i] = tokenizer.Encode(documents[i].Text));
        return Concatenate(encoded, eosId);
    }

    /// <summary>The documents' ids with <paramref name="eosId"/> between consecutive documents (none after the last).</summary>
    public static List<int> Concatenate(IReadOnlyList<int[]> documents, int? eosId)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var stream = new List<int>(documents.Sum(d => d.Length) + documents.Count);
        for (var i = 0; i < documents.Count; i++)
        {
            if (i > 0 && eosId is { } eos) stream.Add(eos);
            stream.AddRange(documents[i]);
        }
        return stream;
    }

    /// <summary>How many rows a stream of <paramref name="tokens"/> ids yields: <c>tokens / (blockSize + 1)</c>, rounded down.</summary>
    public static int RowCount(int tokens, int blockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "the block size must be at least 1");
        return tokens / (blockSize + 1);
    }

    /// <summary>Cuts rows <c>[firstRow, firstRow + rows)</c> of <paramref name="stream"/> into inputs and targets.</summary>
    /// <param name="stream">The packed ids.</param>
    /// <param name="blockSize">T, the tokens per row.</param>
    /// <param name="what">Names the data in errors.</param>
    /// <param name="firstRow">The first row to take.</param>
    /// <param name="rows">How many rows; null for all from <paramref name="firstRow"/> on.</param>
    /// <exception cref="ArgumentException">The stream is too short for one row.</exception>
    public static TensorDataset Pack(IReadOnlyList<int> stream, int blockSize, string what, int firstRow = 0, int? rows = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var total = RowCount(stream.Count, blockSize);
        if (total == 0)
        {
            throw new ArgumentException($"{what}: {stream.Count} tokens are fewer than one row of block_size + 1 = {blockSize + 1}; lower data.block_size or add text");
        }
        var n = rows ?? total - firstRow;
        if (firstRow < 0 || n < 1 || firstRow + n > total) throw new ArgumentOutOfRangeException(nameof(rows), $"rows {firstRow}..{firstRow + n} are not within the {total} rows of {what}");
        var inputs = new long[(long)n * blockSize];
        var targets = new long[(long)n * blockSize];
        for (var r = 0; r < n; r++)
        {
            var start = (firstRow + r) * (blockSize + 1);
            for (var t = 0; t < blockSize; t++)
            {
                inputs[(long)r * blockSize + t] = stream[start + t];
                targets[(long)r * blockSize + t] = stream[start + t + 1];
            }
        }

        // Long-lived: join no scope the caller may have open.
        using var _ = DisposeScope.Suspend();
        var x = Tensor.From<long>(inputs, [n, blockSize]);
        try
        {
            return new TensorDataset(x, Tensor.From<long>(targets, [n, blockSize]));
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }
}
