using System.Globalization;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Losses;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// The trainer's side of the embedding losses (<c>loss.type</c> mnrl, matryoshka, matryoshka_2d, starbucks): each
/// training micro-batch becomes two augmented views (<see cref="TwoViews"/>), the MLP's hidden layers embed both in
/// one pass each (<see cref="Mlp.ForwardLayers"/>; the last hidden layer is the embedding, the classification head
/// is never applied), and the configured loss compares them with in-batch negatives
/// (<see cref="MultipleNegativesRankingLoss"/> at <c>loss.scale</c>).
/// </summary>
/// <remarks>
/// <para>Sampling (<c>loss.matryoshka.dims_per_step</c>, <c>loss.matryoshka_2d.n_layers_per_step</c> /
/// <c>n_dims_per_step</c>): the library losses draw from a seeded <see cref="Random"/>; the objective builds them
/// afresh for every micro-batch, seeded from (train.seed, step, micro-batch), so the draws — like the views — are a
/// function of the step and a resumed run repeats the straight one exactly.</para>
/// <para>Evaluation: eval_loss is the loss with every dim and layer (no sampling) on two views of each eval batch
/// (views seeded per batch index, the same at every evaluation), averaged over samples. Accuracy is a
/// nearest-class-centroid classifier by cosine: the class means of the L2-normalised training embeddings
/// (un-augmented, <c>shrink</c>: prefix then L2-normalise) at every (hidden layer, dim), and each eval image takes
/// the class of the most similar centroid. The dims are the powers of two from 2, <c>loss.matryoshka.dims</c> (or
/// <c>loss.starbucks.dims</c>) and the full width, each on every layer at least that wide — the same grid for every
/// type, so the losses compare sub-network by sub-network.</para>
/// </remarks>
public sealed class EmbeddingObjective
{
    // The step number of evaluation views (training steps are ≥ 1).
    private const long EvalStep = -1;

    private readonly LossConfig _config;
    private readonly int _seed;
    private readonly Mlp _model;
    private readonly MultipleNegativesRankingLoss _base;
    private readonly IReadOnlyList<int> _widths;

    /// <summary>The objective for <paramref name="model"/> (whose hidden widths are <paramref name="hiddenSizes"/>).</summary>
    /// <exception cref="ArgumentException">The loss type is not an embedding loss, or its settings do not fit the model.</exception>
    public EmbeddingObjective(LossConfig config, int seed, Mlp model, IReadOnlyList<int> hiddenSizes)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        if (!config.IsEmbedding) throw new ArgumentException($"loss.type {config.Type} is not an embedding loss", nameof(config));
        if (hiddenSizes.Count == 0) throw new ArgumentException($"loss.type {config.Type} needs at least one hidden layer (the embedding)", nameof(hiddenSizes));
        _config = config;
        _seed = seed;
        _model = model;
        _widths = hiddenSizes;
        _base = new MultipleNegativesRankingLoss(config.Scale);
        // Build once to surface bad settings before training starts.
        _ = Loss(null);
        EvalDims = [.. (config.Type switch
        {
            "matryoshka" or "matryoshka_2d" => config.Matryoshka.Dims,
            "starbucks" => config.Starbucks.Dims,
            _ => [],
        }).Concat(PowersOfTwo(hiddenSizes.Max())).Append(hiddenSizes[^1]).Distinct().Order()];
    }

    private static IEnumerable<int> PowersOfTwo(int max)
    {
        for (var d = 2; d <= max; d *= 2) yield return d;
    }

    /// <summary>The dims evaluated on every layer at least that wide, ascending: 2, 4, 8, … and the configured dims and the full width.</summary>
    public IReadOnlyList<int> EvalDims { get; }

    /// <summary>The training loss of one micro-batch of <paramref name="inputs"/> at <paramref name="step"/> (1-based).</summary>
    public Tensor Compute(Tensor inputs, long step, int micro = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var (anchors, positives) = TwoViews.Make(inputs, _seed, step, micro);
        return Loss(TwoViews.Seed(_seed, step, micro, 2))(_model.ForwardLayers(anchors), _model.ForwardLayers(positives));
    }

    /// <summary>
    /// The loss as a function of per-layer anchor and positive embeddings; <paramref name="samplingSeed"/> seeds the dim
    /// and layer sampling, null uses every dim and layer.
    /// </summary>
    internal Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>, Tensor> Loss(ulong? samplingSeed)
    {
        var seedA = samplingSeed is { } s ? unchecked((int)s) : 0;
        var seedB = samplingSeed is { } t ? unchecked((int)(t >> 32)) : 0;
        var sample = samplingSeed is not null;
        var m = _config.Matryoshka;
        IReadOnlyList<double>? Weights(IReadOnlyList<double> w) => w.Count == 0 ? null : w;
        switch (_config.Type)
        {
            case "mnrl":
                return (a, p) => _base.Compute(a[^1], p[^1]);
            case "matryoshka":
            {
                var loss = new MatryoshkaLoss(_base, m.Dims, Weights(m.Weights), sample ? m.DimsPerStep : -1, seedA);
                return (a, p) => loss.Compute(a[^1], p[^1]);
            }
            case "matryoshka_2d":
            {
                var c = _config.Matryoshka2d;
                var inner = new MatryoshkaLoss(_base, m.Dims, Weights(m.Weights), sample ? c.NDimsPerStep : -1, seedA);
                var loss = new Matryoshka2dLoss(inner, sample ? c.NLayersPerStep : -1, c.LastLayerWeight, c.PriorLayersWeight, c.KlDivWeight, c.KlTemperature, seedB);
                return loss.Compute;
            }
            case "starbucks":
            {
                var c = _config.Starbucks;
                if (c.Layers.Count != c.Dims.Count) throw new ArgumentException($"loss.starbucks: {c.Layers.Count} layers for {c.Dims.Count} dims");
                var loss = new StarbucksLoss(_base, [.. c.Layers.Zip(c.Dims)], Weights(c.Weights), c.KlDivWeight, c.KlTemperature);
                return loss.Compute;
            }
            default:
                throw new ArgumentException($"unknown embedding loss.type '{_config.Type}'");
        }
    }

    /// <summary>
    /// Evaluates under no-grad in evaluation mode (training mode is restored): eval_loss on two views of
    /// <paramref name="eval"/>'s batches, and nearest-centroid accuracy (centroids from <paramref name="train"/>) at
    /// every (layer, dim).
    /// </summary>
    public EvalResult Evaluate(TensorDataset train, TensorDataset eval, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(eval);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var wasTraining = _model.IsTraining;
        _model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            var grid = Enumerable.Range(0, _widths.Count).SelectMany(l => EvalDims.Where(d => d <= _widths[l]).Select(d => (Layer: l, Dim: d))).ToArray();
            var classes = (int)Math.Max(MaxLabel(train), MaxLabel(eval)) + 1;
            var sums = grid.Select(g => new double[classes * g.Dim]).ToArray();
            var loss = Loss(null);
            for (long start = 0; start < train.Count; start += batchSize)
            {
                using var scope = new DisposeScope();
                var length = Math.Min(batchSize, train.Count - start);
                var layers = _model.ForwardLayers(train.Inputs.Narrow(0, start, length));
                var oneHotT = train.Targets.Narrow(0, start, length).OneHot(classes).To(DType.Float32).MT;
                for (var i = 0; i < grid.Length; i++)
                {
                    var part = oneHotT.MatMul(EmbeddingOps.Shrink(layers[grid[i].Layer], grid[i].Dim)).To(DType.Float64).Contiguous().ToArray<double>();
                    for (var k = 0; k < part.Length; k++) sums[i][k] += part[k];
                }
            }
            double lossSum = 0;
            var correct = new double[grid.Length];
            long batchIndex = 0;
            for (long start = 0; start < eval.Count; start += batchSize, batchIndex++)
            {
                using var scope = new DisposeScope();
                var length = Math.Min(batchSize, eval.Count - start);
                var x = eval.Inputs.Narrow(0, start, length);
                var y = eval.Targets.Narrow(0, start, length);
                var layers = _model.ForwardLayers(x);
                for (var i = 0; i < grid.Length; i++)
                {
                    var centroids = EmbeddingOps.L2Normalize(Tensor.From<double>(sums[i], [classes, grid[i].Dim]).To(DType.Float32));
                    var scores = EmbeddingOps.Shrink(layers[grid[i].Layer], grid[i].Dim).MatMul(centroids.MT);
                    correct[i] += scores.ArgMax(1).Eq(y).Sum().ToDouble();
                }
                var anchors = TwoViews.Augment(x, TwoViews.Seed(_seed, EvalStep, unchecked((int)batchIndex), 0));
                var positives = TwoViews.Augment(x, TwoViews.Seed(_seed, EvalStep, unchecked((int)batchIndex), 1));
                lossSum += loss(_model.ForwardLayers(anchors), _model.ForwardLayers(positives)).ToDouble() * length;
            }
            var n = eval.Count;
            string Key(int dim) => dim.ToString(CultureInfo.InvariantCulture);
            var byLayerDim = new Dictionary<string, double>(StringComparer.Ordinal);
            var byDim = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var i = 0; i < grid.Length; i++)
            {
                var rate = n > 0 ? correct[i] / n : 0;
                byLayerDim[$"{(grid[i].Layer + 1).ToString(CultureInfo.InvariantCulture)}:{Key(grid[i].Dim)}"] = rate;
                if (grid[i].Layer == _widths.Count - 1) byDim[Key(grid[i].Dim)] = rate;
            }
            return new EvalResult(n > 0 ? lossSum / n : double.NaN, byDim[Key(_widths[^1])], byDim, byLayerDim);
        }
        finally
        {
            _model.Train(wasTraining);
        }
    }

    private static long MaxLabel(TensorDataset data)
    {
        using var scope = new DisposeScope();
        return data.Count == 0 ? 0 : data.Targets.Max().ToInt64();
    }
}
