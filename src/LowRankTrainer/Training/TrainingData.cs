using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// The train and eval datasets of a run, loaded from <c>data.*</c>: Fashion-MNIST's train/test
/// splits, a CSV/JSONL file (<c>data.path</c>) with an optional eval file (<c>data.eval_path</c>), a
/// text dataset (<see cref="TextTrainingData"/>), or the synthetic linear task (<see cref="SyntheticLinear"/>,
/// with its target map). Disposing frees what it loaded (never caller-supplied datasets).
/// </summary>
public sealed class TrainingData : IDisposable
{
    private readonly bool _owned;

    private TrainingData(TensorDataset train, TensorDataset? eval, bool owned, int? padTokenId = null, Tensor? targetMap = null)
    {
        Train = train;
        Eval = eval;
        _owned = owned;
        PadTokenId = padTokenId;
        TargetMap = targetMap;
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

    /// <summary>
    /// synthetic_linear: the map T [d_out, d_in] (float64) whose values y = T x the samples hold, for the evaluation's
    /// effective-rank and Eckart–Young metrics (<see cref="LinearMapMetrics"/>); null for every other dataset.
    /// </summary>
    public Tensor? TargetMap { get; }

    /// <summary>synthetic_linear: the output width d_out (the targets are d_out-vectors); null for every other dataset.</summary>
    public long? OutputFeatures => TargetMap?.Size(0);

    /// <summary>Wraps caller-owned datasets.</summary>
    public static TrainingData Borrow(TensorDataset train, TensorDataset? eval) => new(train, eval, owned: false);

    /// <summary>
    /// Loads what <paramref name="config"/> names, keeping only <c>data.classes</c> when it lists any (<see cref="ClassSubset"/>),
    /// then the first <c>data.max_samples</c> training and <c>data.max_eval_samples</c> evaluation rows, then applying <c>data.transform</c> to both splits
    /// (<see cref="PixelPermutation"/>; last, as it acts on each row alone and so has the fewest rows to touch there).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown dataset name, csv/jsonl without a path or label column, classes the
    /// data lacks, or an unknown transform or one the dataset does not support.</exception>
    public static TrainingData Load(DataConfig config, LossConfig loss)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Transform(Cap(Subset(LoadAll(config, loss), config), config.MaxSamples, config.MaxEvalSamples), config);
    }

    /// <summary><c>data.transform</c>: <c>permute_pixels</c> permutes both splits' images with the one π of <c>data.transform_seed</c>.</summary>
    private static TrainingData Transform(TrainingData all, DataConfig config)
    {
        if (config.Transform == "none") return all;
        using (all)
        {
            if (config.Transform != "permute_pixels")
            {
                throw new ArgumentException($"unknown data.transform '{config.Transform}'; known: {string.Join(", ", DataConfig.Transforms)}", nameof(config));
            }
            if (config.Dataset != "fashion_mnist")
            {
                throw new ArgumentException($"data.transform permute_pixels needs an image dataset (fashion_mnist), not data.dataset {config.Dataset}", nameof(config));
            }
            var permutation = PixelPermutation.Create(FashionMnist.ImageSize * FashionMnist.ImageSize, config.TransformSeed);
            var train = PixelPermutation.Apply(all.Train, permutation);
            try
            {
                var eval = all.Eval is null ? null : PixelPermutation.Apply(all.Eval, permutation);
                return new TrainingData(train, eval, owned: true, all.PadTokenId);
            }
            catch
            {
                train.Dispose();
                throw;
            }
        }
    }

    private static TrainingData Subset(TrainingData all, DataConfig config)
    {
        if (config.Classes.Count == 0) return all;
        using (all)
        {
            if (all.TargetMap is not null) throw new ArgumentException($"data.classes picks classes, but data.dataset {config.Dataset} is a regression", nameof(config));
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
        // What is kept (and the target map) changes hands; only the sets that were cut are freed.
        if (train is not null) all.Train.Dispose();
        if (eval is not null) all.Eval!.Dispose();
        return new TrainingData(train ?? all.Train, eval ?? all.Eval, owned: true, all.PadTokenId, all.TargetMap);
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
            case "synthetic_linear":
            {
                if (loss.Name != "mse") throw new ArgumentException($"data.dataset synthetic_linear needs loss.name mse, not {loss.Name}", nameof(loss));
                var map = SyntheticLinear.Target(config.SyntheticDim, config.SyntheticTarget, config.SyntheticSeed);
                TensorDataset? train = null;
                try
                {
                    // Training and evaluation use the same d basis inputs: the task is fitting T, not generalising.
                    train = SyntheticLinear.Dataset(map);
                    return new TrainingData(train, SyntheticLinear.Dataset(map), owned: true, targetMap: map);
                }
                catch
                {
                    train?.Dispose();
                    map.Dispose();
                    throw;
                }
            }
            default:
                throw new ArgumentException($"unknown data.dataset '{config.Dataset}'; known: fashion_mnist, csv, jsonl, text_jsonl, text_csv, spam_assassin, text_lm, brown, brown_pairs, synthetic_linear", nameof(config));
        }
    }

    /// <summary>Frees the datasets this instance loaded.</summary>
    public void Dispose()
    {
        if (!_owned) return;
        Train.Dispose();
        Eval?.Dispose();
        TargetMap?.Dispose();
    }
}
