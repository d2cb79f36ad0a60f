using System.Globalization;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Losses;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// The trainer's side of the embedding losses (<c>loss.type</c> mnrl, matryoshka, matryoshka_2d, starbucks): each
/// training micro-batch becomes (anchor, positive) pairs — two augmented views of each image
/// (<see cref="EmbeddingPairs.AugmentedViews"/>, <see cref="TwoViews"/>) or the two texts of each pair
/// (<see cref="EmbeddingPairs.TextPairs"/>) — an <see cref="ILayerEmbedder"/> embeds both columns into one embedding
/// per layer (an MLP's hidden layers, or a transformer's mean-pooled hidden states; the last layer is the
/// embedding, heads are never applied), and the configured loss compares them with in-batch negatives
/// (<see cref="MultipleNegativesRankingLoss"/> at <c>loss.scale</c>).
/// </summary>
/// <remarks>
/// <para>Sampling (<c>loss.matryoshka.dims_per_step</c>, <c>loss.matryoshka_2d.n_layers_per_step</c> /
/// <c>n_dims_per_step</c>): the library losses draw from a seeded <see cref="Random"/>; the objective builds them
/// afresh for every micro-batch, seeded from (train.seed, step, micro-batch), so the draws — like the views — are a
/// function of the step and a resumed run repeats the straight one exactly.</para>
/// <para>Evaluation: eval_loss is the loss with every dim and layer (no sampling) on the pairs of each eval batch
/// (for images, two views seeded per batch index, the same at every evaluation), averaged over samples. Accuracy
/// is measured at every (layer, dim) on shrunk embeddings (<see cref="EmbeddingOps.Shrink"/>: layer ℓ's first d
/// coordinates, L2-normalised). Images: a nearest-class-centroid classifier by cosine — the class means of the
/// normalised training embeddings (un-augmented), each eval image taking the class of the most similar centroid.
/// Text pairs: top-1 retrieval (<see cref="PairRetrieval"/>) — the share of eval anchors whose most similar eval
/// positive is their own. The dims are the powers of two from 2, <c>loss.matryoshka.dims</c> (or
/// <c>loss.starbucks.dims</c>) and the full width, each on every layer at least that wide — the same grid for every
/// type, so the losses compare sub-network by sub-network.</para>
/// </remarks>
public sealed class EmbeddingObjective
{
    // The step number of evaluation views (training steps are ≥ 1).
    private const long EvalStep = -1;

    private readonly LossConfig _config;
    private readonly int _seed;
    private readonly ILayerEmbedder _embedder;
    private readonly EmbeddingPairs _pairs;
    private readonly MultipleNegativesRankingLoss _base;
    private readonly IReadOnlyList<int> _widths;

    /// <summary>The objective for an MLP <paramref name="model"/> (whose hidden widths are <paramref name="hiddenSizes"/>) on augmented image views.</summary>
    /// <exception cref="ArgumentException">The loss type is not an embedding loss, or its settings do not fit the model.</exception>
    public EmbeddingObjective(LossConfig config, int seed, Mlp model, IReadOnlyList<int> hiddenSizes)
        : this(config, seed, new MlpLayerEmbedder(model, hiddenSizes), EmbeddingPairs.AugmentedViews)
    {
    }

    /// <summary>The objective for <paramref name="embedder"/> on pairs from <paramref name="pairs"/>.</summary>
    /// <exception cref="ArgumentException">The loss type is not an embedding loss, or its settings do not fit the embedder's layers.</exception>
    public EmbeddingObjective(LossConfig config, int seed, ILayerEmbedder embedder, EmbeddingPairs pairs)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(embedder);
        if (!config.IsEmbedding) throw new ArgumentException($"loss.type {config.Type} is not an embedding loss", nameof(config));
        if (!Enum.IsDefined(pairs)) throw new ArgumentOutOfRangeException(nameof(pairs), pairs, "unknown pair source");
        var widths = embedder.LayerWidths;
        if (widths.Count == 0) throw new ArgumentException($"loss.type {config.Type} needs at least one hidden layer (the embedding)", nameof(embedder));
        _config = config;
        _seed = seed;
        _embedder = embedder;
        _pairs = pairs;
        _widths = widths;
        _base = new MultipleNegativesRankingLoss(config.Scale);
        CheckFits(config, widths);
        // Build once to surface bad settings before training starts.
        _ = Loss(null);
        EvalDims = [.. (config.Type switch
        {
            "matryoshka" or "matryoshka_2d" => config.Matryoshka.Dims,
            "starbucks" => config.Starbucks.Dims,
            _ => [],
        }).Concat(PowersOfTwo(widths.Max())).Append(widths[^1]).Distinct().Order()];
    }

    /// <summary>
    /// The loss settings that depend on the layers — dims within the widths, Starbucks layers within the depth — checked
    /// up front (the config validator does the same where it knows the widths), so a misfit names its key before training.
    /// </summary>
    private static void CheckFits(LossConfig config, IReadOnlyList<int> widths)
    {
        var layers = widths.Count;
        var describe = $"the model's {layers} layers are [{string.Join(", ", widths)}] wide";
        if (config.Type is "matryoshka" or "matryoshka_2d")
        {
            // matryoshka_2d may sample any layer, so every dim must fit the narrowest one.
            var limit = config.Type == "matryoshka_2d" ? widths.Min() : widths[^1];
            foreach (var dim in config.Matryoshka.Dims.Where(d => d > limit))
            {
                throw new ArgumentException($"loss.matryoshka.dims: {dim} is wider than the {(config.Type == "matryoshka_2d" ? "narrowest layer" : "embedding")} ({limit}; {describe})");
            }
            if (config.Type == "matryoshka_2d" && layers < 2)
            {
                throw new ArgumentException($"loss.type matryoshka_2d needs at least two layers (it samples earlier layers besides the last), but {describe}");
            }
        }
        if (config.Type == "starbucks")
        {
            var c = config.Starbucks;
            for (var i = 0; i < Math.Min(c.Layers.Count, c.Dims.Count); i++)
            {
                if (c.Layers[i] < 1 || c.Layers[i] > layers) throw new ArgumentException($"loss.starbucks.layers[{i}] is {c.Layers[i]}, outside [1, {layers}]: {describe}");
                if (c.Dims[i] > widths[c.Layers[i] - 1]) throw new ArgumentException($"loss.starbucks.dims[{i}] is {c.Dims[i]}, wider than layer {c.Layers[i]} ({describe})");
            }
        }
    }

    private static IEnumerable<int> PowersOfTwo(int max)
    {
        for (var d = 2; d <= max; d *= 2) yield return d;
    }

    /// <summary>The dims evaluated on every layer at least that wide, ascending: 2, 4, 8, … and the configured dims and the full width.</summary>
    public IReadOnlyList<int> EvalDims { get; }

    /// <summary>Where the pairs come from.</summary>
    public EmbeddingPairs Pairs => _pairs;

    /// <summary>
    /// The training loss of one micro-batch of <paramref name="inputs"/> (images, or text pairs [N, 2, T]) at
    /// <paramref name="step"/> (1-based).
    /// </summary>
    public Tensor Compute(Tensor inputs, long step, int micro = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var loss = Loss(TwoViews.Seed(_seed, step, micro, 2));
        if (_pairs == EmbeddingPairs.TextPairs)
        {
            var (a, p) = EmbedTextPairs(inputs);
            return loss(a, p);
        }
        var (anchors, positives) = TwoViews.Make(inputs, _seed, step, micro);
        return loss(Embed(anchors), Embed(positives));
    }

    /// <summary>
    /// The layers' embeddings of <paramref name="inputs"/>, moved first to the model's device. Views are augmented where the
    /// batch is (the CPU), so a run on a GPU sees the views a CPU run does.
    /// </summary>
    private IReadOnlyList<Tensor> Embed(Tensor inputs) => _embedder.EmbedLayers(RunDevice.On(inputs, RunDevice.Of(_embedder.Model)));

    /// <summary>
    /// The per-layer embeddings of both columns of text pairs [N, 2, T], from one forward pass over the 2N texts
    /// (anchors first), each layer's [2N, d] then cut into anchors [N, d] and positives [N, d].
    /// </summary>
    private (IReadOnlyList<Tensor> Anchors, IReadOnlyList<Tensor> Positives) EmbedTextPairs(Tensor pairs)
    {
        var (anchors, positives) = TextPairBatch.Split(pairs);
        var n = anchors.Size(0);
        var layers = Embed(Tensor.Cat([anchors, positives]));
        return ([.. layers.Select(l => l.Narrow(0, 0, n))], [.. layers.Select(l => l.Narrow(0, n, n))]);
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
    /// Evaluates under no-grad in evaluation mode (training mode is restored): eval_loss on the pairs of
    /// <paramref name="eval"/>'s batches, and at every (layer, dim) nearest-centroid accuracy (images; centroids from
    /// <paramref name="train"/>) or top-1 retrieval accuracy among the eval pairs (text pairs; <paramref name="train"/> unused).
    /// </summary>
    public EvalResult Evaluate(TensorDataset train, TensorDataset eval, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(eval);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var model = _embedder.Model;
        var wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            var grid = Enumerable.Range(0, _widths.Count).SelectMany(l => EvalDims.Where(d => d <= _widths[l]).Select(d => (Layer: l, Dim: d))).ToArray();
            return _pairs == EmbeddingPairs.TextPairs ? EvaluateRetrieval(eval, batchSize, grid) : EvaluateCentroids(train, eval, batchSize, grid);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>Text pairs: eval_loss per batch, and top-1 retrieval over all eval pairs at every grid point.</summary>
    private EvalResult EvaluateRetrieval(TensorDataset eval, int batchSize, (int Layer, int Dim)[] grid)
    {
        var loss = Loss(null);
        var anchorParts = Enumerable.Range(0, _widths.Count).Select(_ => new List<Tensor>()).ToArray();
        var positiveParts = Enumerable.Range(0, _widths.Count).Select(_ => new List<Tensor>()).ToArray();
        try
        {
            double lossSum = 0;
            for (long start = 0; start < eval.Count; start += batchSize)
            {
                using var scope = new DisposeScope();
                var length = Math.Min(batchSize, eval.Count - start);
                var (a, p) = EmbedTextPairs(eval.Inputs.Narrow(0, start, length));
                lossSum += loss(a, p).ToDouble() * length;
                for (var l = 0; l < _widths.Count; l++)
                {
                    // Kept past the batch's scope: all pairs are ranked against each other at the end.
                    anchorParts[l].Add(a[l].Contiguous().DetachFromScope());
                    positiveParts[l].Add(p[l].Contiguous().DetachFromScope());
                }
            }
            var n = eval.Count;
            var rates = new double[grid.Length];
            using (var scope = new DisposeScope())
            {
                var anchors = anchorParts.Select(parts => Tensor.Cat([.. parts])).ToArray();
                var positives = positiveParts.Select(parts => Tensor.Cat([.. parts])).ToArray();
                for (var i = 0; i < grid.Length; i++)
                {
                    var (layer, dim) = grid[i];
                    rates[i] = PairRetrieval.Accuracy(EmbeddingOps.Shrink(anchors[layer], dim), EmbeddingOps.Shrink(positives[layer], dim));
                }
            }
            return Result(n > 0 ? lossSum / n : double.NaN, grid, rates);
        }
        finally
        {
            foreach (var t in anchorParts.Concat(positiveParts).SelectMany(parts => parts)) t.Dispose();
        }
    }

    /// <summary>The result's dictionaries: "layer:dim" (1-based layer) for the grid, "dim" for the last layer; accuracy at the full model.</summary>
    private EvalResult Result(double loss, (int Layer, int Dim)[] grid, double[] rates)
    {
        string Key(int dim) => dim.ToString(CultureInfo.InvariantCulture);
        var byLayerDim = new Dictionary<string, double>(StringComparer.Ordinal);
        var byDim = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < grid.Length; i++)
        {
            byLayerDim[$"{(grid[i].Layer + 1).ToString(CultureInfo.InvariantCulture)}:{Key(grid[i].Dim)}"] = rates[i];
            if (grid[i].Layer == _widths.Count - 1) byDim[Key(grid[i].Dim)] = rates[i];
        }
        return new EvalResult(loss, byDim[Key(_widths[^1])], byDim, byLayerDim);
    }

    /// <summary>Images: eval_loss on two views per batch, and nearest-class-centroid accuracy at every grid point.</summary>
    private EvalResult EvaluateCentroids(TensorDataset train, TensorDataset eval, int batchSize, (int Layer, int Dim)[] grid)
    {
        var classes = (int)Math.Max(MaxLabel(train), MaxLabel(eval)) + 1;
        var sums = grid.Select(g => new double[classes * g.Dim]).ToArray();
        var loss = Loss(null);
        var device = RunDevice.Of(_embedder.Model);
        for (long start = 0; start < train.Count; start += batchSize)
        {
            using var scope = new DisposeScope();
            var length = Math.Min(batchSize, train.Count - start);
            var layers = Embed(train.Inputs.Narrow(0, start, length));
            var oneHotT = train.Targets.Narrow(0, start, length).OneHot(classes).To(device, DType.Float32).MT;
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
            var y = RunDevice.On(eval.Targets.Narrow(0, start, length), device);
            var layers = Embed(x);
            for (var i = 0; i < grid.Length; i++)
            {
                var centroids = EmbeddingOps.L2Normalize(Tensor.From<double>(sums[i], [classes, grid[i].Dim]).To(device, DType.Float32));
                var scores = EmbeddingOps.Shrink(layers[grid[i].Layer], grid[i].Dim).MatMul(centroids.MT);
                correct[i] += scores.ArgMax(1).Eq(y).Sum().ToDouble();
            }
            var anchors = TwoViews.Augment(x, TwoViews.Seed(_seed, EvalStep, unchecked((int)batchIndex), 0));
            var positives = TwoViews.Augment(x, TwoViews.Seed(_seed, EvalStep, unchecked((int)batchIndex), 1));
            lossSum += loss(Embed(anchors), Embed(positives)).ToDouble() * length;
        }
        var n = eval.Count;
        return Result(n > 0 ? lossSum / n : double.NaN, grid, [.. correct.Select(c => n > 0 ? c / n : 0)]);
    }

    private static long MaxLabel(TensorDataset data)
    {
        using var scope = new DisposeScope();
        return data.Count == 0 ? 0 : data.Targets.Max().ToInt64();
    }
}
