using LowRankTrainer.Tokenizers;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// Positive text pairs cut from documents, for the contrastive embedding losses (<c>data.dataset: brown_pairs</c>):
/// two neighbouring spans of one document are a pair, every other pair in a batch a negative (sentence-transformers'
/// (anchor, positive) format for <c>MultipleNegativesRankingLoss</c>; spans of one document as positives follow the
/// "adjacent spans" self-supervision of Giorgi et al. 2021, DeCLUTR, and Izacard et al. 2022, Contriever).
/// </summary>
/// <remarks>
/// <para>Spans: each document is tokenized whole (no special tokens) and cut into consecutive, non-overlapping
/// spans of S = max_length − (special tokens per sequence, when they are added) ids; an incomplete last span is
/// dropped, so every text of the set has exactly max_length tokens (with [CLS]/[SEP] around it for BERT's WordPiece,
/// nothing for a byte-level BPE). Span 2k and span 2k + 1 form pair k (k = 0, 1, …); an odd last span is dropped. A
/// span is a fixed number of tokens rather than a sentence: Brown sentences vary from 1 to over 100 words, and equal
/// lengths keep batches free of padding.</para>
/// <para>Layout: inputs int64 [N, 2, T] — row 0 the anchor, row 1 the positive, padded on the right with the pad id
/// where a text is shorter than T — and targets int64 [N], the index of the pair's document in the corpus list
/// (pairs carry no label; the index identifies the document in tests and analyses).</para>
/// <para>Order: round-robin over documents — pair 0 of every document (in the split's seeded order), then pair 1 of
/// every document, and so on — so the first rows (<c>data.max_samples</c>, <c>data.max_eval_samples</c>) sample
/// many documents instead of exhausting a few.</para>
/// <para>Split: by document (<see cref="SeededSplit"/>, stratified like the language-modelling split), so no
/// document gives pairs to both sides.</para>
/// </remarks>
public static class TextPairDataset
{
    /// <summary>Ids per span for <paramref name="options"/>: max_length less the special tokens when they are added.</summary>
    /// <exception cref="ArgumentException">max_length leaves no room beside the special tokens.</exception>
    public static int SpanTokens(ITextTokenizer tokenizer, TextEncodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        var special = options.AddSpecialTokens ? tokenizer.SpecialTokenCount : 0;
        if (options.MaxLength <= special)
        {
            throw new ArgumentException($"data.max_length {options.MaxLength} leaves no room for text beside the {special} special tokens of each sequence");
        }
        return options.MaxLength - special;
    }

    /// <summary>
    /// The pairs of one document's ids: spans [2k·S, (2k+1)·S) and [(2k+1)·S, (2k+2)·S) for every k whose second
    /// span is complete.
    /// </summary>
    public static List<(int[] Anchor, int[] Positive)> Pairs(int[] ids, int spanTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfLessThan(spanTokens, 1);
        var pairs = new List<(int[], int[])>(ids.Length / (2 * spanTokens));
        for (var start = 0; start + (2 * spanTokens) <= ids.Length; start += 2 * spanTokens)
        {
            pairs.Add((ids[start..(start + spanTokens)], ids[(start + spanTokens)..(start + (2 * spanTokens))]));
        }
        return pairs;
    }

    /// <summary>Splits <paramref name="documents"/> by document and builds both sides (<see cref="Build"/>).</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="documents">Every document; a pair's target is its document's index here.</param>
    /// <param name="options">Span length (<c>data.max_length</c>), special tokens and the pad id.</param>
    /// <param name="testFraction">The share of documents (per stratum) held out; 0: no evaluation set.</param>
    /// <param name="seed">The split's seed.</param>
    /// <param name="stratum">A document's stratum in the split (the Brown genre); null for none.</param>
    /// <param name="what">Names the corpus in errors.</param>
    /// <exception cref="ArgumentException">A side holds no document or no pair.</exception>
    public static (TensorDataset Train, TensorDataset? Eval) Load(ITextTokenizer tokenizer, IReadOnlyList<TextDocument> documents, TextEncodingOptions options,
        double testFraction, int seed, Func<TextDocument, string>? stratum, string what)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(options);
        var index = new Dictionary<TextDocument, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < documents.Count; i++) index[documents[i]] = i;
        var (train, test) = SeededSplit.Split(documents, d => d.Name, stratum ?? (_ => ""), testFraction, seed);
        if (testFraction > 0 && (train.Count == 0 || test.Count == 0))
        {
            throw new ArgumentException($"{what}: data.test_fraction {testFraction} splits its {documents.Count} documents into {train.Count} for training and {test.Count} for evaluation; each side needs at least one (or set data.test_fraction 0 for no evaluation)");
        }
        var trainSet = Build(tokenizer, train, [.. train.Select(d => index[d])], options, what + " (training split)");
        try
        {
            return (trainSet, test.Count == 0 ? null : Build(tokenizer, test, [.. test.Select(d => index[d])], options, what + " (evaluation split)"));
        }
        catch
        {
            trainSet.Dispose();
            throw;
        }
    }

    /// <summary>Tokenizes <paramref name="documents"/>, cuts their pairs and lays them out round-robin (see the remarks).</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="documents">The documents, in the order the round-robin visits them.</param>
    /// <param name="documentIds">The target of each document's pairs.</param>
    /// <param name="options">Span length, special tokens and the pad id.</param>
    /// <param name="what">Names the data in errors.</param>
    /// <exception cref="ArgumentException">No document is long enough for one pair.</exception>
    public static TensorDataset Build(ITextTokenizer tokenizer, IReadOnlyList<TextDocument> documents, IReadOnlyList<int> documentIds, TextEncodingOptions options, string what)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(documentIds);
        ArgumentNullException.ThrowIfNull(options);
        if (documentIds.Count != documents.Count) throw new ArgumentException($"{documentIds.Count} document ids for {documents.Count} documents", nameof(documentIds));
        var span = SpanTokens(tokenizer, options);
        // Tokenizing is the slow part (the Brown corpus is ~1.5M tokens) and the tokenizers are thread-safe.
        var perDocument = new List<(int[] Anchor, int[] Positive)>[documents.Count];
        Parallel.For(0, documents.Count, i => perDocument[i] = Pairs(tokenizer.Encode(documents[i].Text), span));
        var rows = new List<(int[] Anchor, int[] Positive, int Document)>(perDocument.Sum(p => p.Count));   // Document: index into documents
        var rounds = perDocument.Length == 0 ? 0 : perDocument.Max(p => p.Count);
        for (var k = 0; k < rounds; k++)
        {
            for (var d = 0; d < perDocument.Length; d++)
            {
                if (k < perDocument[d].Count) rows.Add((perDocument[d][k].Anchor, perDocument[d][k].Positive, d));
            }
        }
        if (rows.Count == 0)
        {
            throw new ArgumentException($"{what}: no document is long enough for one pair of {span}-token spans ({2 * span} tokens); lower data.max_length or add text");
        }
        // The models mask every id equal to the pad id, so a pad id that is also real text would silently drop those tokens.
        foreach (var (anchor, positive, document) in rows)
        {
            if (Array.IndexOf(anchor, options.PadTokenId) >= 0 || Array.IndexOf(positive, options.PadTokenId) >= 0)
            {
                throw new ArgumentException($"{what}: the pad id {options.PadTokenId} ('{tokenizer.Decode([options.PadTokenId])}') occurs in the text of {documents[document].Name}, " +
                                            "and the model masks every token equal to it; set data.pad_token_id to an id the text never produces (e.g. <|endoftext|>)");
            }
        }

        int[] Wrap(int[] ids) => options.AddSpecialTokens ? tokenizer.AddSpecialTokens(ids) : ids;
        var texts = rows.Select(r => (Anchor: Wrap(r.Anchor), Positive: Wrap(r.Positive))).ToList();
        var t = texts.Max(p => Math.Max(p.Anchor.Length, p.Positive.Length));
        var inputs = new long[(long)texts.Count * 2 * t];
        Array.Fill(inputs, options.PadTokenId);
        var targets = new long[texts.Count];
        for (var r = 0; r < texts.Count; r++)
        {
            var offset = (long)r * 2 * t;
            for (var k = 0; k < texts[r].Anchor.Length; k++) inputs[offset + k] = texts[r].Anchor[k];
            for (var k = 0; k < texts[r].Positive.Length; k++) inputs[offset + t + k] = texts[r].Positive[k];
            targets[r] = documentIds[rows[r].Document];
        }

        // Long-lived: join no scope the caller may have open.
        using var _ = DisposeScope.Suspend();
        var x = Tensor.From<long>(inputs, [texts.Count, 2, t]);
        try
        {
            return new TensorDataset(x, Tensor.From<long>(targets, [targets.Length]));
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }
}
