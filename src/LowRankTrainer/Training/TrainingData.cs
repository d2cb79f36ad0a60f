using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// The train and eval datasets of a run, loaded from <c>data.*</c>: Fashion-MNIST's train/test
/// splits, a CSV/JSONL file (<c>data.path</c>) with an optional eval file (<c>data.eval_path</c>), or a
/// text dataset (<see cref="TextTrainingData"/>). Disposing frees the datasets it loaded (never
/// caller-supplied ones).
/// </summary>
public sealed class TrainingData : IDisposable
{
    private readonly bool _owned;

    private TrainingData(TensorDataset train, TensorDataset? eval, bool owned, int? padTokenId = null)
    {
        Train = train;
        Eval = eval;
        _owned = owned;
        PadTokenId = padTokenId;
    }

    /// <summary>The training samples.</summary>
    public TensorDataset Train { get; }

    /// <summary>The evaluation samples, or null when the config names none.</summary>
    public TensorDataset? Eval { get; }

    /// <summary>
    /// The id that pads text rows (the models mask it out), for text classification; the configured
    /// <c>data.pad_token_id</c> (or null) for language modelling, whose rows are never padded; null otherwise.
    /// </summary>
    public int? PadTokenId { get; }

    /// <summary>Wraps caller-owned datasets.</summary>
    public static TrainingData Borrow(TensorDataset train, TensorDataset? eval) => new(train, eval, owned: false);

    /// <summary>Loads what <paramref name="config"/> names, keeping only <c>data.classes</c> when it lists any (<see cref="ClassSubset"/>).</summary>
    /// <exception cref="ArgumentException">An unknown dataset name, csv/jsonl without a path or label column, or classes the data lacks.</exception>
    public static TrainingData Load(DataConfig config, LossConfig loss)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Cap(Subset(LoadAll(config, loss), config), config.MaxSamples, config.MaxEvalSamples);
    }

    private static TrainingData Subset(TrainingData all, DataConfig config)
    {
        if (config.Classes.Count == 0) return all;
        using (all)
        {
            var train = ClassSubset.Select(all.Train, config.Classes, "data.classes (training split)");
            try
            {
                var eval = all.Eval is null ? null : ClassSubset.Select(all.Eval, config.Classes, "data.classes (evaluation split)");
                return new TrainingData(train, eval, owned: true, all.PadTokenId);
            }
            catch
            {
                train.Dispose();
                throw;
            }
        }
    }

    /// <summary><c>data.max_samples</c> / <c>data.max_eval_samples</c>: keeps the first training / evaluation rows.</summary>
    private static TrainingData Cap(TrainingData all, int? maxSamples, int? maxEvalSamples)
    {
        var cutTrain = maxSamples is { } max && all.Train.Count > max;
        var cutEval = maxEvalSamples is { } maxEval && all.Eval is not null && all.Eval.Count > maxEval;
        if (!cutTrain && !cutEval) return all;
        TensorDataset? train = null;
        TensorDataset? eval = null;
        try
        {
            train = cutTrain ? First(all.Train, maxSamples!.Value) : null;
            eval = cutEval ? First(all.Eval!, maxEvalSamples!.Value) : null;
        }
        catch
        {
            train?.Dispose();
            all.Dispose();
            throw;
        }
        // What is kept changes hands; only the sets that were cut are freed.
        if (train is not null) all.Train.Dispose();
        if (eval is not null) all.Eval!.Dispose();
        return new TrainingData(train ?? all.Train, eval ?? all.Eval, owned: true, all.PadTokenId);
    }

    /// <summary>A copy of the first <paramref name="count"/> rows of <paramref name="data"/>.</summary>
    private static TensorDataset First(TensorDataset data, int count)
    {
        using var _ = DisposeScope.Suspend();
        using var inputs = data.Inputs.Narrow(0, 0, count);
        using var targets = data.Targets.Narrow(0, 0, count);
        return new TensorDataset(inputs.Clone(), targets.Clone(), data.ClassNames);
    }

    private static TrainingData LoadAll(DataConfig config, LossConfig loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        switch (config.Dataset)
        {
            case "fashion_mnist":
            {
                var train = FashionMnist.Load(FashionMnistSplit.Train, config.Path, config.Normalize);
                try
                {
                    return new TrainingData(train, FashionMnist.Load(FashionMnistSplit.Test, config.Path, config.Normalize), owned: true);
                }
                catch
                {
                    train.Dispose();
                    throw;
                }
            }
            case "csv" or "jsonl":
            {
                if (config.Path is null) throw new ArgumentException($"data.path is required for data.dataset '{config.Dataset}'", nameof(config));
                if (config.LabelColumn is null) throw new ArgumentException("data.label_column is required for csv/jsonl data", nameof(config));
                var task = loss.Name == "mse" ? TabularTask.Regression : TabularTask.Classification;
                var features = config.FeatureColumns.Count > 0 ? config.FeatureColumns : null;
                var train = TabularDataset.Load(config.Path, config.LabelColumn, features, task);
                try
                {
                    var eval = config.EvalPath is null ? null : TabularDataset.Load(config.EvalPath, config.LabelColumn, features, task);
                    return new TrainingData(train, eval, owned: true);
                }
                catch
                {
                    train.Dispose();
                    throw;
                }
            }
            case var text when TextTrainingData.Handles(text):
            {
                var (train, eval, pad) = TextTrainingData.Load(config);
                return new TrainingData(train, eval, owned: true, pad);
            }
            default:
                throw new ArgumentException($"unknown data.dataset '{config.Dataset}'; known: fashion_mnist, csv, jsonl, text_jsonl, text_csv, spam_assassin, text_lm, brown, brown_pairs", nameof(config));
        }
    }

    /// <summary>Frees the datasets this instance loaded.</summary>
    public void Dispose()
    {
        if (!_owned) return;
        Train.Dispose();
        Eval?.Dispose();
    }
}
