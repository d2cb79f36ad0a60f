using LowRankTrainer.Torch;

namespace LowRankTrainer.Losses;

/// <summary>
/// Starbucks representation learning (Zhuang, Wang, Koopman, Zuccon 2024, arXiv 2410.13230, "SRL" fine-tuning):
/// instead of 2D Matryoshka's random (layer, dim) per step, a <b>fixed</b> list of (layer, dim) pairs from small to
/// large, every pair's loss computed and summed on every step:
/// L = Σ_{(ℓ,d)∈P} w_{ℓ,d} · base(shrink(a_ℓ, d), shrink(p_ℓ, d))
///   + Σ_{(ℓ,d)∈P, ℓ≠final} kl_temperature · kl_div_weight · KL( softmax(e_final/T) ‖ softmax(e_ℓ/T) ).
/// </summary>
/// <remarks>
/// <para>Layers are 1-based as the paper writes its pairs (BERT-base: (2,32), (4,64), …, (12,768)); layer L is
/// the final one. shrink is <see cref="EmbeddingOps.Shrink"/> (prefix, then L2-normalise). The KL term has the
/// form of <see cref="Matryoshka2dLoss"/>'s (full-width embeddings of both columns stacked, batchmean) once per
/// distinct earlier layer in the list; the paper's exact KL weighting comes from a secondary summary
/// (METHODS.md §7.4), so it is a parameter and T = 0 turns it off.</para>
/// </remarks>
public sealed class StarbucksLoss
{
    private readonly IEmbeddingLoss _baseLoss;
    private readonly (int Layer, int Dim)[] _pairs;
    private readonly double[] _weights;

    /// <summary>Creates the loss.</summary>
    /// <param name="baseLoss">The per-pair loss (e.g. <see cref="MultipleNegativesRankingLoss"/>).</param>
    /// <param name="pairs">(layer, dim) pairs, layer 1-based; distinct, each layer and dim ≥ 1.</param>
    /// <param name="weights">Weight per pair (null: all 1).</param>
    /// <param name="klDivWeight">Weight of the KL term.</param>
    /// <param name="klTemperature">T of the KL term (0: none).</param>
    public StarbucksLoss(IEmbeddingLoss baseLoss, IReadOnlyList<(int Layer, int Dim)> pairs, IReadOnlyList<double>? weights = null,
                         double klDivWeight = 1.0, double klTemperature = 0.3)
    {
        ArgumentNullException.ThrowIfNull(baseLoss);
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) throw new ArgumentException("starbucks: at least one (layer, dim) pair is needed", nameof(pairs));
        foreach (var (layer, dim) in pairs)
        {
            if (layer < 1 || dim < 1) throw new ArgumentException($"starbucks pair ({layer}, {dim}): layers are 1-based and dims > 0", nameof(pairs));
        }
        if (pairs.Distinct().Count() != pairs.Count) throw new ArgumentException("starbucks pairs must be distinct", nameof(pairs));
        weights ??= [.. pairs.Select(_ => 1.0)];
        if (weights.Count != pairs.Count) throw new ArgumentException($"starbucks weights: {weights.Count} weights for {pairs.Count} pairs", nameof(weights));
        if (klTemperature < 0 || !double.IsFinite(klTemperature)) throw new ArgumentException($"kl_temperature must be >= 0, got {klTemperature}", nameof(klTemperature));
        _baseLoss = baseLoss;
        _pairs = [.. pairs];
        _weights = [.. weights];
        KlDivWeight = klDivWeight;
        KlTemperature = klTemperature;
    }

    /// <summary>The (layer, dim) pairs, 1-based layers, in the given order.</summary>
    public IReadOnlyList<(int Layer, int Dim)> Pairs => _pairs;

    /// <summary>Weight of the KL term.</summary>
    public double KlDivWeight { get; }

    /// <summary>T of the KL term (0: none).</summary>
    public double KlTemperature { get; }

    /// <summary>The step's loss for per-layer anchor and positive embeddings (each [N, d_ℓ], final layer last).</summary>
    public Tensor Compute(IReadOnlyList<Tensor> anchorLayers, IReadOnlyList<Tensor> positiveLayers)
    {
        ArgumentNullException.ThrowIfNull(anchorLayers);
        ArgumentNullException.ThrowIfNull(positiveLayers);
        LayerLosses.CheckLayers(anchorLayers, positiveLayers, sameWidth: KlTemperature > 0);
        var count = anchorLayers.Count;
        Tensor? loss = null;
        for (var i = 0; i < _pairs.Length; i++)
        {
            var (layer, dim) = _pairs[i];
            if (layer > count) throw new ArgumentException($"starbucks pair ({layer}, {dim}): the model has {count} layers");
            var term = _baseLoss.Compute(EmbeddingOps.Shrink(anchorLayers[layer - 1], dim), EmbeddingOps.Shrink(positiveLayers[layer - 1], dim)) * _weights[i];
            loss = loss is null ? term : loss + term;
        }
        if (KlTemperature > 0)
        {
            var finalEmbeddings = Tensor.Cat([anchorLayers[^1], positiveLayers[^1]]);
            foreach (var layer in _pairs.Select(p => p.Layer).Where(l => l < count).Distinct())
            {
                var layerEmbeddings = Tensor.Cat([anchorLayers[layer - 1], positiveLayers[layer - 1]]);
                loss = loss! + EmbeddingOps.KlDivBatchMean(layerEmbeddings, finalEmbeddings, KlTemperature) * (KlTemperature * KlDivWeight);
            }
        }
        return loss!;
    }
}
