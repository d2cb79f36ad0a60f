using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Training;

/// <summary>
/// The model, embedding objective and evaluation a config describes, built the one way that the <see cref="Trainer"/>
/// and the verbs that reopen a finished run (<c>lrt eval</c>, <c>lrt merge</c>; <see cref="Runs.RunModel"/>) share,
/// so that a reopened run computes bit for bit what the run computed.
/// </summary>
public static class ModelSetup
{
    /// <summary>
    /// The base model of <paramref name="config"/> for <paramref name="data"/>: <see cref="ModelFactory.Build"/> with the
    /// data's width (tabular/image rows), class names, pad id and output width, every initial weight drawn from
    /// <paramref name="generator"/> (seeded with <c>train.seed</c>), then, for a transformer, a check that the data's token
    /// ids fit its vocabulary. No adapter is injected here.
    /// </summary>
    /// <param name="config">The experiment.</param>
    /// <param name="data">The run's data (its shapes and labels size the model).</param>
    /// <param name="generator">Initialisation and dropout randomness (not owned).</param>
    /// <param name="log">Receives the lines about a loaded checkpoint.</param>
    /// <exception cref="ArgumentException">The data's token ids do not fit the transformer's vocabulary, or the config does not describe a model.</exception>
    public static Module<Tensor, Tensor> Build(ExperimentConfig config, TrainingData data, Generator generator, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        long? features = data.Train.Inputs.Rank == 2 ? data.Train.Inputs.Size(1) : null;
        var model = ModelFactory.Build(config.Model, generator, features, config.Loss, data.Train.ClassNames, data.PadTokenId, log, data.OutputFeatures);
        try
        {
            if (model is TransformerModel transformer) CheckTokenIds(transformer, data);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For an embedding loss (<c>loss.type</c> mnrl, matryoshka, matryoshka_2d, starbucks): the objective over the MLP's
    /// hidden layers on two augmented views per image, or over a transformer's mean-pooled layers on text pairs; null
    /// for every other loss.
    /// </summary>
    /// <exception cref="ArgumentException">The model is neither an MLP nor a transformer, or the loss settings do not fit it.</exception>
    public static (EmbeddingObjective Objective, ILayerEmbedder Embedder)? Embedding(ExperimentConfig config, Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!config.Loss.IsEmbedding) return null;
        var (embedder, pairs) = model switch
        {
            Mlp mlp => ((ILayerEmbedder)new MlpLayerEmbedder(mlp, config.Model.HiddenSizes), EmbeddingPairs.AugmentedViews),
            TransformerModel encoder => (new TransformerLayerEmbedder(encoder), EmbeddingPairs.TextPairs),
            _ => throw new ArgumentException($"loss.type {config.Loss.Type} needs model.name mlp (image views) or a transformer (text pairs), got {config.Model.Name}"),
        };
        return (new EmbeddingObjective(config.Loss, config.Train.Seed, embedder, pairs), embedder);
    }

    /// <summary>
    /// One evaluation as the trainer runs it: the embedding objective's (nearest-centroid or retrieval accuracy, with
    /// <paramref name="train"/> as the centroids' source) when there is one, else <see cref="LossFunction.Evaluate"/> on
    /// <paramref name="eval"/> in order, in batches of <paramref name="batchSize"/>; plus the learned map's metrics for
    /// synthetic_linear (<paramref name="mapMetrics"/>).
    /// </summary>
    /// <remarks>Data-parallel runs pass <paramref name="dp"/>: each rank then evaluates its share of <paramref name="eval"/>
    /// and the counts are summed across ranks (<see cref="DataParallel.EvalShard"/>).</remarks>
    public static EvalResult Evaluate(Module<Tensor, Tensor> model, LossFunction loss, EmbeddingObjective? embedding, LinearMapMetrics? mapMetrics,
                                      TensorDataset train, TensorDataset eval, int batchSize, DataParallel? dp = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(eval);
        var shard = dp?.EvalShard(eval.Count);
        var result = embedding is not null
            ? embedding.Evaluate(train, eval, batchSize)
            : loss.Evaluate(model, eval, batchSize, shard, shard is null || shard == DataShard.Whole ? null : dp!.SumAcrossRanks);
        return mapMetrics is null ? result : result with { Metrics = mapMetrics.Measure(model) };
    }

    /// <summary>Token ids outside the embedding would fail deep in the forward pass; say which and where instead.</summary>
    private static void CheckTokenIds(TransformerModel model, TrainingData data)
    {
        foreach (var (split, set) in new[] { ("training", data.Train), ("evaluation", data.Eval) })
        {
            if (set is null || set.Inputs.DType != DType.Int64 || set.Count == 0) continue;
            using var max = set.Inputs.Max();
            var largest = max.ToInt64();
            if (largest >= model.VocabularySize)
                throw new ArgumentException($"the {split} data holds token id {largest}, but the model's vocabulary has {model.VocabularySize} ids (does data.tokenizer match the model?)");
        }
    }
}
