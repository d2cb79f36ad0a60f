using LowRankTrainer.Torch;

namespace LowRankTrainer.Losses;

/// <summary>
/// 2D Matryoshka (2DMSE, Li et al. 2024, arXiv 2402.14776) as sentence-transformers' <c>Matryoshka2dLoss</c> =
/// <c>AdaptiveLayerLoss(MatryoshkaLoss(base, dims, weights, n_dims_per_step), n_layers_per_step, …)</c>: embeddings
/// of every layer from one forward, a loss on the final layer and on randomly sampled earlier layers, each at a
/// randomly sampled dim, plus a KL term pulling the earlier layers toward the final one.
/// </summary>
/// <remarks>
/// <para>With layers ℓ = 0 … L−1 (0-based; L−1 is the final layer) and S the layers sampled this step from
/// {0 … L−2} (<c>layers_per_step</c> of them; −1: all):</para>
/// <para>L = last_layer_weight · M(a_{L−1}, p_{L−1})
///   + Σ_{ℓ∈S} [ M(a_ℓ, p_ℓ) · prior_layers_weight / (1+ℓ) / |S|
///   + kl_temperature · kl_div_weight · KL( softmax(e_{L−1}/T) ‖ softmax(e_ℓ/T) ) ],</para>
/// <para>where M is the inner <see cref="MatryoshkaLoss"/> (which samples its own dims on every call, the final
/// layer's call included), e_ℓ = [a_ℓ; p_ℓ] stacks the full, untruncated embeddings of both columns, and the KL is
/// PyTorch's <c>kl_div(…, reduction="batchmean")</c> (<see cref="EmbeddingOps.KlDivBatchMean"/>) — dropped when
/// the temperature is 0. The 1/(1+ℓ) factor weights shallower layers more.</para>
/// </remarks>
public sealed class Matryoshka2dLoss
{
    private readonly Random _random;

    /// <summary>Creates the loss (defaults of the 2DMSE paper / sentence-transformers).</summary>
    /// <param name="matryoshka">The inner per-dim loss (sentence-transformers uses n_dims_per_step = 1).</param>
    /// <param name="layersPerStep">Earlier layers sampled per step (−1: all).</param>
    /// <param name="lastLayerWeight">Weight of the final layer's loss.</param>
    /// <param name="priorLayersWeight">Weight of the earlier layers' losses (before 1/(1+ℓ)/|S|).</param>
    /// <param name="klDivWeight">Weight of the KL term.</param>
    /// <param name="klTemperature">T (0: no KL term).</param>
    /// <param name="seed">Seed of the layer sampling.</param>
    public Matryoshka2dLoss(MatryoshkaLoss matryoshka, int layersPerStep = 1, double lastLayerWeight = 1.0, double priorLayersWeight = 1.0,
                            double klDivWeight = 1.0, double klTemperature = 0.3, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(matryoshka);
        if (layersPerStep == 0 || layersPerStep < -1) throw new ArgumentException($"layers_per_step must be -1 (all) or >= 1, got {layersPerStep}", nameof(layersPerStep));
        if (klTemperature < 0 || !double.IsFinite(klTemperature)) throw new ArgumentException($"kl_temperature must be >= 0, got {klTemperature}", nameof(klTemperature));
        Matryoshka = matryoshka;
        LayersPerStep = layersPerStep;
        LastLayerWeight = lastLayerWeight;
        PriorLayersWeight = priorLayersWeight;
        KlDivWeight = klDivWeight;
        KlTemperature = klTemperature;
        _random = new Random(seed);
    }

    /// <summary>The inner per-dim loss.</summary>
    public MatryoshkaLoss Matryoshka { get; }

    /// <summary>Earlier layers per step (−1: all).</summary>
    public int LayersPerStep { get; }

    /// <summary>Weight of the final layer's loss.</summary>
    public double LastLayerWeight { get; }

    /// <summary>Weight of the earlier layers' losses.</summary>
    public double PriorLayersWeight { get; }

    /// <summary>Weight of the KL term.</summary>
    public double KlDivWeight { get; }

    /// <summary>T of the KL term (0: none).</summary>
    public double KlTemperature { get; }

    /// <summary>Draws the earlier-layer indices for one step out of {0 … <paramref name="layerCount"/>−2}, ascending.</summary>
    public int[] SampleLayers(int layerCount)
    {
        var all = Enumerable.Range(0, Math.Max(0, layerCount - 1)).ToArray();
        if (LayersPerStep < 0 || LayersPerStep >= all.Length) return all;
        for (var i = 0; i < LayersPerStep; i++)
        {
            var j = _random.Next(i, all.Length);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return [.. all.Take(LayersPerStep).Order()];
    }

    /// <summary>The step's loss for per-layer anchor and positive embeddings (each [N, d_ℓ], final layer last).</summary>
    public Tensor Compute(IReadOnlyList<Tensor> anchorLayers, IReadOnlyList<Tensor> positiveLayers)
    {
        ArgumentNullException.ThrowIfNull(anchorLayers);
        ArgumentNullException.ThrowIfNull(positiveLayers);
        LayerLosses.CheckLayers(anchorLayers, positiveLayers, sameWidth: KlTemperature > 0);
        var last = anchorLayers.Count - 1;
        var loss = Matryoshka.Compute(anchorLayers[last], positiveLayers[last]) * LastLayerWeight;
        var layers = SampleLayers(anchorLayers.Count);
        var finalEmbeddings = KlTemperature > 0 ? Tensor.Cat([anchorLayers[last], positiveLayers[last]]) : null;
        foreach (var l in layers)
        {
            var layerLoss = Matryoshka.Compute(anchorLayers[l], positiveLayers[l]);
            loss = loss + layerLoss * (PriorLayersWeight / (1 + l) / layers.Length);
            if (KlTemperature > 0)
            {
                var layerEmbeddings = Tensor.Cat([anchorLayers[l], positiveLayers[l]]);
                loss = loss + EmbeddingOps.KlDivBatchMean(layerEmbeddings, finalEmbeddings!, KlTemperature) * (KlTemperature * KlDivWeight);
            }
        }
        return loss;
    }
}
