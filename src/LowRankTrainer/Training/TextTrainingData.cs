using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Data.Text;
using LowRankTrainer.Tokenizers;

namespace LowRankTrainer.Training;

/// <summary>
/// Loads the text datasets of <c>data.dataset</c> — classification (<c>text_jsonl</c>, <c>text_csv</c>,
/// <c>spam_assassin</c>), language modelling (<c>text_lm</c>, <c>brown</c>) and text pairs for the embedding losses
/// (<c>brown_pairs</c>) — with the tokenizer of <c>data.tokenizer</c>, loaded once.
/// </summary>
internal static class TextTrainingData
{
    /// <summary>Whether <paramref name="dataset"/> names a text dataset.</summary>
    public static bool Handles(string dataset) => dataset is "text_jsonl" or "text_csv" or "spam_assassin" or "text_lm" or "brown" or "brown_pairs";

    /// <summary>The train and eval sets, and the pad id the models must mask (null for language modelling, whose rows are never padded).</summary>
    public static (TensorDataset Train, TensorDataset? Eval, int? PadTokenId) Load(DataConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (string.IsNullOrWhiteSpace(config.Tokenizer)) throw new ArgumentException($"data.tokenizer is required for data.dataset '{config.Dataset}'", nameof(config));
        var tokenizer = TokenizerFiles.Load(config.Tokenizer);
        if (config.Dataset is "text_lm" or "brown")
        {
            var options = new LmOptions(config.BlockSize, SpecialTokenIds.Eos(tokenizer, config.EosTokenId), config.TestFraction, config.SplitSeed);
            var (train, eval) = config.Dataset == "brown"
                ? LmDataset.Load(tokenizer, BrownCorpus.ReadAll(config.Path), null, options, BrownCorpus.Genre, "the Brown corpus")
                : LmDataset.Load(tokenizer, PlainTextCorpus.Read(Required(config.Path, config)), config.EvalPath is null ? null : PlainTextCorpus.Read(config.EvalPath), options, null, config.Path!);
            return (train, eval, config.PadTokenId);
        }

        var encoding = new TextEncodingOptions(config.MaxLength, SpecialTokenIds.Pad(tokenizer, config.PadTokenId), config.AddSpecialTokens);
        if (config.Dataset == "brown_pairs")
        {
            var (train, eval) = TextPairDataset.Load(tokenizer, BrownCorpus.ReadAll(config.Path), encoding, config.TestFraction, config.SplitSeed, BrownCorpus.Genre, "the Brown corpus");
            return (train, eval, encoding.PadTokenId);
        }
        if (config.Dataset == "spam_assassin")
        {
            var (train, eval) = SpamAssassin.Load(tokenizer, encoding, config.Path, config.TestFraction, config.SplitSeed);
            return (train, eval, encoding.PadTokenId);
        }
        var format = config.Dataset == "text_jsonl" ? TextFileFormat.Jsonl : TextFileFormat.Csv;
        var trainRows = TextClassificationFile.Read(Required(config.Path, config), format, config.TextField, config.LabelField);
        List<LabeledText> evalRows;
        if (config.EvalPath is not null)
        {
            evalRows = TextClassificationFile.Read(config.EvalPath, format, config.TextField, config.LabelField);
        }
        else
        {
            // No evaluation file: hold out a seeded, label-stratified share of the rows (keyed by line).
            (trainRows, evalRows) = SeededSplit.Split(trainRows, e => e.Line.ToString(System.Globalization.CultureInfo.InvariantCulture), e => e.Label, config.TestFraction, config.SplitSeed);
        }
        var labels = TextLabels.Build(trainRows.Concat(evalRows), config.LabelNames, config.LabelField);
        var trainSet = TextClassificationTensors.Build(tokenizer, trainRows, labels, encoding, $"{config.Path} (training rows)");
        try
        {
            var evalSet = evalRows.Count == 0 ? null : TextClassificationTensors.Build(tokenizer, evalRows, labels, encoding, $"{config.EvalPath ?? config.Path} (evaluation rows)");
            return (trainSet, evalSet, encoding.PadTokenId);
        }
        catch
        {
            trainSet.Dispose();
            throw;
        }
    }

    private static string Required(string? path, DataConfig config) =>
        path ?? throw new ArgumentException($"data.path is required for data.dataset '{config.Dataset}'", nameof(config));
}
