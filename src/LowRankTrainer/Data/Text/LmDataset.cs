using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Data.Text;

/// <summary>How language-modelling text is packed and split (<c>data.block_size</c>, <c>data.eos_token_id</c>, <c>data.test_fraction</c>, <c>data.split_seed</c>).</summary>
/// <param name="BlockSize">T, tokens per row.</param>
/// <param name="EosId">The id between documents (<see cref="SpecialTokenIds.Eos"/>), or null for none.</param>
/// <param name="TestFraction">Share held out when there is no evaluation text; 0: no evaluation set.</param>
/// <param name="Seed">The split's seed.</param>
public sealed record LmOptions(int BlockSize, int? EosId, double TestFraction = 0.2, int Seed = 0);

/// <summary>
/// The train and evaluation sets of a language-modelling corpus (<see cref="LmBlocks"/> rows), split by
/// document when there is no evaluation text.
/// </summary>
/// <remarks>
/// Without evaluation documents, <see cref="SeededSplit"/> holds out <c>TestFraction</c> of the documents
/// (stratified by <c>stratum</c>, e.g. the Brown genre), and each side is packed on its own, so no document
/// lends text to both. When that leaves a side empty (a single file, or too few documents for the fraction),
/// the packed rows of all the text are split instead: the last <c>max(1, round(rows × TestFraction))</c> rows
/// are held out, the way nanoGPT holds out the tail of a single text.
/// </remarks>
public static class LmDataset
{
    /// <summary>Tokenizes, packs and splits.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="documents">The training documents (all documents when <paramref name="evalDocuments"/> is null).</param>
    /// <param name="evalDocuments">Separate evaluation documents, or null to split <paramref name="documents"/>.</param>
    /// <param name="options">Packing and split options.</param>
    /// <param name="stratum">The stratum of a document in the split; null for none.</param>
    /// <param name="what">Names the corpus in errors.</param>
    /// <exception cref="ArgumentException">A side holds fewer tokens than one row.</exception>
    public static (TensorDataset Train, TensorDataset? Eval) Load(ITextTokenizer tokenizer, IReadOnlyList<TextDocument> documents,
        IReadOnlyList<TextDocument>? evalDocuments, LmOptions options, Func<TextDocument, string>? stratum, string what)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(options);
        if (evalDocuments is not null) return Both(tokenizer, documents, evalDocuments, options, what);
        if (options.TestFraction == 0) return (LmBlocks.Pack(LmBlocks.Stream(tokenizer, documents, options.EosId), options.BlockSize, what), null);

        var (train, test) = SeededSplit.Split(documents, d => d.Name, stratum ?? (_ => ""), options.TestFraction, options.Seed);
        if (train.Count > 0 && test.Count > 0) return Both(tokenizer, train, test, options, what);

        // Too few documents to hold some out: hold out the tail of the packed text.
        var stream = LmBlocks.Stream(tokenizer, documents, options.EosId);
        var rows = LmBlocks.RowCount(stream.Count, options.BlockSize);
        var held = Math.Max(1, (int)Math.Round(rows * options.TestFraction, MidpointRounding.AwayFromZero));
        if (rows - held < 1)
        {
            throw new ArgumentException($"{what}: {stream.Count} tokens make {rows} rows of block_size + 1 = {options.BlockSize + 1}, too few to hold out an evaluation row; add text, lower data.block_size or set data.eval_path");
        }
        var trainSet = LmBlocks.Pack(stream, options.BlockSize, what, 0, rows - held);
        try
        {
            return (trainSet, LmBlocks.Pack(stream, options.BlockSize, what + " (evaluation)", rows - held, held));
        }
        catch
        {
            trainSet.Dispose();
            throw;
        }
    }

    private static (TensorDataset, TensorDataset?) Both(ITextTokenizer tokenizer, IReadOnlyList<TextDocument> train, IReadOnlyList<TextDocument> eval, LmOptions options, string what)
    {
        var trainSet = LmBlocks.Pack(LmBlocks.Stream(tokenizer, train, options.EosId), options.BlockSize, what + " (training split)");
        try
        {
            return (trainSet, LmBlocks.Pack(LmBlocks.Stream(tokenizer, eval, options.EosId), options.BlockSize, what + " (evaluation split)"));
        }
        catch
        {
            trainSet.Dispose();
            throw;
        }
    }
}
