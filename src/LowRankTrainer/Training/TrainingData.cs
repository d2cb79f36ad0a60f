using LowRankTrainer.Config;
using LowRankTrainer.Data;

namespace LowRankTrainer.Training;

/// <summary>
/// The train and eval datasets of a run, loaded from <c>data.*</c>: Fashion-MNIST's train/test
/// splits, or a CSV/JSONL file (<c>data.path</c>) with an optional eval file (<c>data.eval_path</c>).
/// Disposing frees the datasets it loaded (never caller-supplied ones).
/// </summary>
public sealed class TrainingData : IDisposable
{
    private readonly bool _owned;

    private TrainingData(TensorDataset train, TensorDataset? eval, bool owned)
    {
        Train = train;
        Eval = eval;
        _owned = owned;
    }

    /// <summary>The training samples.</summary>
    public TensorDataset Train { get; }

    /// <summary>The evaluation samples, or null when the config names none.</summary>
    public TensorDataset? Eval { get; }

    /// <summary>Wraps caller-owned datasets.</summary>
    public static TrainingData Borrow(TensorDataset train, TensorDataset? eval) => new(train, eval, owned: false);

    /// <summary>Loads what <paramref name="config"/> names, keeping only <c>data.classes</c> when it lists any (<see cref="ClassSubset"/>).</summary>
    /// <exception cref="ArgumentException">An unknown dataset name, csv/jsonl without a path or label column, or classes the data lacks.</exception>
    public static TrainingData Load(DataConfig config, LossConfig loss)
    {
        ArgumentNullException.ThrowIfNull(config);
        var all = LoadAll(config, loss);
        if (config.Classes.Count == 0) return all;
        using (all)
        {
            var train = ClassSubset.Select(all.Train, config.Classes, "data.classes (training split)");
            try
            {
                var eval = all.Eval is null ? null : ClassSubset.Select(all.Eval, config.Classes, "data.classes (evaluation split)");
                return new TrainingData(train, eval, owned: true);
            }
            catch
            {
                train.Dispose();
                throw;
            }
        }
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
            default:
                throw new ArgumentException($"unknown data.dataset '{config.Dataset}'; known: fashion_mnist, csv, jsonl", nameof(config));
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
