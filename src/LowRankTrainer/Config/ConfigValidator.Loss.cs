using System.Globalization;
using System.Text.RegularExpressions;
using LowRankTrainer.Adapters;
using LowRankTrainer.Models.Transformers;

namespace LowRankTrainer.Config;

// The loss checks: Matryoshka sizes and weights, the embedding losses (2D Matryoshka, Starbucks).
internal sealed partial class ConfigValidator
{
    private void CheckMatryoshka(LossConfig l, ModelConfig m)
    {
        Choice("loss.type", l.Type, LossTypes);
        var mrl = l.Matryoshka;
        if (!LossTypes.Contains(l.Type, StringComparer.Ordinal)) return;
        // Which loss.type values each loss.matryoshka key applies to.
        var defaults = new MatryoshkaConfig();
        (string Key, bool Set, string[] Types)[] keys =
        [
            ("loss.matryoshka.dims", mrl.Dims.Count > 0, ["mrl", "matryoshka", "matryoshka_2d"]),
            ("loss.matryoshka.weights", mrl.Weights.Count > 0, ["mrl", "matryoshka", "matryoshka_2d"]),
            ("loss.matryoshka.dims_per_step", mrl.DimsPerStep != defaults.DimsPerStep, ["mrl", "matryoshka"]),
            ("loss.matryoshka.efficient", mrl.Efficient != defaults.Efficient, ["mrl"]),
        ];
        foreach (var (key, _, types) in keys.Where(k => k.Set && !k.Types.Contains(l.Type, StringComparer.Ordinal)))
        {
            var hint = key == "loss.matryoshka.dims_per_step" && l.Type == "matryoshka_2d" ? "; matryoshka_2d samples its dims with loss.matryoshka_2d.n_dims_per_step" : "";
            Add(key, ConfigErrorCodes.Conflict, $"{key} applies to loss.type {string.Join(", ", types)}, but loss.type is {l.Type} (at {At("loss.type")}){hint}");
        }
        if (l.Type is not ("mrl" or "matryoshka" or "matryoshka_2d")) return;
        if (l.Type == "mrl")
        {
            if (l.Name != "cross_entropy") Add("loss.type", ConfigErrorCodes.Conflict, $"loss.type mrl trains classification heads and needs loss.name cross_entropy (got {l.Name}, at {At("loss.name")})");
            if (m.Name != "mlp") Add("loss.type", ConfigErrorCodes.Conflict, $"loss.type mrl needs model.name mlp (the representation is its last hidden layer), got {m.Name} (at {At("model.name")})");
        }
        var layers = EmbeddingLayers(m);
        if (layers is { Widths.Count: 0 })
        {
            if (l.Type == "mrl") Add("model.hidden_sizes", ConfigErrorCodes.Conflict, "loss.type mrl needs at least one hidden layer: the last one is the representation z whose prefixes the heads read");
            return;
        }
        // Unknown widths (a transformer whose config.json cannot be read here): the dims are checked when the model is built.
        var widths = layers?.Widths;
        var d = widths?[^1] ?? int.MaxValue;
        // matryoshka_2d may sample any hidden layer, so every dim must fit the narrowest one.
        var narrowest = l.Type == "matryoshka_2d" ? widths?.Min() ?? int.MaxValue : d;
        if (mrl.Dims.Count == 0) Add("loss.type", ConfigErrorCodes.Missing, $"loss.type {l.Type} needs loss.matryoshka.dims (nesting sizes, e.g. [2, 4, 8, 16, 32, {(widths is null ? "d" : narrowest.ToString(CultureInfo.InvariantCulture))}])");
        for (var i = 0; i < mrl.Dims.Count; i++)
        {
            var dim = mrl.Dims[i];
            if (dim < 1) Add($"loss.matryoshka.dims[{i}]", ConfigErrorCodes.OutOfRange, $"loss.matryoshka.dims[{i}] must be >= 1 (got {dim})");
            else if (dim > narrowest)
            {
                var what = l.Type == "matryoshka_2d"
                    ? $"wider than hidden layer {widths!.ToList().IndexOf(narrowest) + 1} ({narrowest} units), which loss.type matryoshka_2d may sample: {layers!.Describe()}"
                    : $"larger than the representation: {layers!.DescribeLast()}";
                Add($"loss.matryoshka.dims[{i}]", ConfigErrorCodes.OutOfRange, $"loss.matryoshka.dims[{i}] is {dim}, {what} (at {At(layers.Source)})");
            }
            if (mrl.Dims.Take(i).Contains(dim)) Add($"loss.matryoshka.dims[{i}]", ConfigErrorCodes.Conflict, $"loss.matryoshka.dims[{i}]: {dim} is listed twice");
        }
        if (mrl.Weights.Count > 0 && mrl.Weights.Count != mrl.Dims.Count)
        {
            Add("loss.matryoshka.weights", ConfigErrorCodes.Conflict,
                $"loss.matryoshka.weights has {mrl.Weights.Count} entries but loss.matryoshka.dims has {mrl.Dims.Count} (at {At("loss.matryoshka.dims")}); give one weight per dim, or none for all 1");
        }
        for (var i = 0; i < mrl.Weights.Count; i++)
        {
            Range(mrl.Weights[i] >= 0, $"loss.matryoshka.weights[{i}]", ">= 0", mrl.Weights[i]);
        }
        if (mrl.Weights.Count > 0 && mrl.Weights.All(w => w == 0)) Add("loss.matryoshka.weights", ConfigErrorCodes.OutOfRange, "loss.matryoshka.weights are all 0: nothing would train");
        Range(mrl.DimsPerStep == -1 || (mrl.DimsPerStep >= 1 && mrl.DimsPerStep <= Math.Max(1, mrl.Dims.Count)),
              "loss.matryoshka.dims_per_step", $"-1 (all dims every step) or in [1, {mrl.Dims.Count}]", mrl.DimsPerStep);
    }

    /// <summary>
    /// The embedding layers the loss sees: an MLP's <c>model.hidden_sizes</c>, or a transformer's L layers of width d
    /// from its config.json (null when that cannot be read here; the model build checks then). Null for other models.
    /// </summary>
    private static EmbeddingLayerWidths? EmbeddingLayers(ModelConfig m)
    {
        if (m.Name == "mlp") return new EmbeddingLayerWidths(m.HiddenSizes, "model.hidden_sizes", null);
        if (!TransformerRegistry.ModelTypes.Contains(m.Name)) return null;
        return TransformerShape.TryRead(m) is { } shape
            ? new EmbeddingLayerWidths([.. Enumerable.Repeat(shape.HiddenSize, shape.Layers)], shape.Source, shape.File)
            : null;
    }

    /// <summary>
    /// The embedding losses (mnrl, matryoshka, matryoshka_2d, starbucks): their subsections apply to their own type only;
    /// they train an MLP's hidden layers on two augmented views of Fashion-MNIST images, or a transformer's mean-pooled
    /// layers on the text pairs of brown_pairs.
    /// </summary>
    private void CheckEmbeddingLoss(LossConfig l, ModelConfig m, DataConfig data, AdapterConfig a)
    {
        if (!LossTypes.Contains(l.Type, StringComparer.Ordinal)) return;
        var d2 = new Matryoshka2dConfig();
        var sb = new StarbucksConfig();
        (string Key, bool Set, string Type)[] keys =
        [
            ("loss.scale", l.Scale != new LossConfig().Scale, "mnrl, matryoshka, matryoshka_2d, starbucks"),
            ("loss.matryoshka_2d.n_layers_per_step", l.Matryoshka2d.NLayersPerStep != d2.NLayersPerStep, "matryoshka_2d"),
            ("loss.matryoshka_2d.n_dims_per_step", l.Matryoshka2d.NDimsPerStep != d2.NDimsPerStep, "matryoshka_2d"),
            ("loss.matryoshka_2d.last_layer_weight", l.Matryoshka2d.LastLayerWeight != d2.LastLayerWeight, "matryoshka_2d"),
            ("loss.matryoshka_2d.prior_layers_weight", l.Matryoshka2d.PriorLayersWeight != d2.PriorLayersWeight, "matryoshka_2d"),
            ("loss.matryoshka_2d.kl_div_weight", l.Matryoshka2d.KlDivWeight != d2.KlDivWeight, "matryoshka_2d"),
            ("loss.matryoshka_2d.kl_temperature", l.Matryoshka2d.KlTemperature != d2.KlTemperature, "matryoshka_2d"),
            ("loss.starbucks.layers", l.Starbucks.Layers.Count > 0, "starbucks"),
            ("loss.starbucks.dims", l.Starbucks.Dims.Count > 0, "starbucks"),
            ("loss.starbucks.weights", l.Starbucks.Weights.Count > 0, "starbucks"),
            ("loss.starbucks.kl_div_weight", l.Starbucks.KlDivWeight != sb.KlDivWeight, "starbucks"),
            ("loss.starbucks.kl_temperature", l.Starbucks.KlTemperature != sb.KlTemperature, "starbucks"),
        ];
        foreach (var (key, _, types) in keys.Where(k => k.Set && !k.Type.Split(", ").Contains(l.Type, StringComparer.Ordinal)))
        {
            Add(key, ConfigErrorCodes.Conflict, $"{key} applies to loss.type {types}, but loss.type is {l.Type} (at {At("loss.type")})");
        }
        if (data.Dataset == "brown_pairs" && !l.IsEmbedding)
        {
            Add("loss.type", ConfigErrorCodes.Conflict,
                $"data.dataset brown_pairs gives pairs of texts without labels (at {At("data.dataset")}); it trains an embedding: loss.type must be one of {string.Join(", ", LossConfig.EmbeddingTypes)} (got {l.Type})");
        }
        if (!l.IsEmbedding) return;
        var type = l.Type;
        Range(l.Scale > 0 && double.IsFinite(l.Scale), "loss.scale", "> 0", l.Scale);
        if (l.Name != "cross_entropy") Add("loss.name", ConfigErrorCodes.Conflict, $"loss.type {type} is an in-batch contrastive loss (a cross-entropy over similarities); loss.name must stay cross_entropy (got {l.Name})");
        if (l.LabelSmoothing != 0) Add("loss.label_smoothing", ConfigErrorCodes.Conflict, $"loss.label_smoothing does not apply to loss.type {type} (at {At("loss.type")})");
        // The two pairings: image views through an MLP, text pairs through a transformer.
        var transformer = TransformerRegistry.ModelTypes.Contains(m.Name);
        var transformers = string.Join(", ", TransformerRegistry.ModelTypes.Order(StringComparer.Ordinal));
        if (data.Dataset == "brown_pairs")
        {
            if (!transformer)
            {
                Add("model.name", ConfigErrorCodes.Conflict,
                    $"loss.type {type} on data.dataset brown_pairs embeds texts with a transformer (mean-pooled hidden states per layer): model.name must be one of {transformers} (got {m.Name}, at {At("data.dataset")})");
            }
        }
        else if (data.Dataset == "fashion_mnist")
        {
            if (m.Name != "mlp")
            {
                Add("model.name", ConfigErrorCodes.Conflict,
                    $"loss.type {type} needs model.name mlp (its hidden layers are the embeddings) on the image views of data.dataset fashion_mnist, got {m.Name} (at {At("loss.type")})");
            }
        }
        else
        {
            Add("data.dataset", ConfigErrorCodes.Conflict,
                $"loss.type {type} trains on (anchor, positive) pairs: two augmented views of each image (data.dataset fashion_mnist, model.name mlp) or two spans of one document (data.dataset brown_pairs, model.name {transformers}); got data.dataset {data.Dataset} (at {At("loss.type")})");
        }
        if (data.Transform == "permute_pixels")
        {
            // TwoViews shifts each image by up to 2 pixels on the 28×28 grid; on a permuted image that sends every pixel
            // to the place of an unrelated one, so the views are scrambles of the image, not translations of it.
            // Permuting after the views would work but would need the augmentation to know π; no study needs it yet.
            Add("data.transform", ConfigErrorCodes.Conflict, $"data.transform permute_pixels cannot be used with loss.type {type}: its two views shift each image by a few pixels, which on permuted pixels scrambles the image instead of moving it (at {At("loss.type")})");
        }
        if (a.Method != AdapterConfigMapper.None || a.ModulesToSave.Count > 0)
        {
            Add(a.Method != AdapterConfigMapper.None ? "adapter.method" : "adapter.modules_to_save", ConfigErrorCodes.Conflict,
                $"loss.type {type} trains the whole model body (heads are unused); adapters and modules_to_save are not supported with it (at {At("loss.type")})");
        }
        var layers = EmbeddingLayers(m);
        var widths = layers?.Widths;
        var layerCount = widths?.Count ?? 0;
        if (widths is not null && (layerCount == 0 || (type == "matryoshka_2d" && layerCount < 2)))
        {
            Add(layers!.Source, ConfigErrorCodes.Conflict, type == "matryoshka_2d"
                ? $"loss.type matryoshka_2d needs at least two hidden layers (the last one is the embedding, earlier ones are the sub-networks it samples){(layers.File is null ? "" : $": {layers.Describe()}")}"
                : $"loss.type {type} needs at least one hidden layer: the last one is the embedding");
            return;
        }
        var equalWidths = widths is null || widths.All(w => w == widths[^1]);
        void KlNeedsEqualWidths(string key, double temperature)
        {
            if (temperature > 0 && !equalWidths)
            {
                Add(key, ConfigErrorCodes.Conflict,
                    $"{key} {Format(temperature)} > 0 compares every layer with the last one, which needs equal hidden widths, but {layers!.Describe()} (at {At(layers.Source)}); set it to 0 or use equal widths");
            }
        }
        if (type == "matryoshka_2d")
        {
            var c = l.Matryoshka2d;
            if (widths is not null)
            {
                Range(c.NLayersPerStep == -1 || (c.NLayersPerStep >= 1 && c.NLayersPerStep <= layerCount - 1),
                      "loss.matryoshka_2d.n_layers_per_step", $"-1 (all earlier layers) or in [1, {layerCount - 1}] ({layers!.Source} has {layerCount} layers)", c.NLayersPerStep);
            }
            else
            {
                Range(c.NLayersPerStep == -1 || c.NLayersPerStep >= 1, "loss.matryoshka_2d.n_layers_per_step", "-1 (all earlier layers) or >= 1", c.NLayersPerStep);
            }
            Range(c.NDimsPerStep == -1 || (c.NDimsPerStep >= 1 && c.NDimsPerStep <= Math.Max(1, l.Matryoshka.Dims.Count)),
                  "loss.matryoshka_2d.n_dims_per_step", $"-1 (all dims) or in [1, {l.Matryoshka.Dims.Count}]", c.NDimsPerStep);
            Range(c.LastLayerWeight >= 0 && double.IsFinite(c.LastLayerWeight), "loss.matryoshka_2d.last_layer_weight", ">= 0", c.LastLayerWeight);
            Range(c.PriorLayersWeight >= 0 && double.IsFinite(c.PriorLayersWeight), "loss.matryoshka_2d.prior_layers_weight", ">= 0", c.PriorLayersWeight);
            Range(c.KlDivWeight >= 0 && double.IsFinite(c.KlDivWeight), "loss.matryoshka_2d.kl_div_weight", ">= 0", c.KlDivWeight);
            Range(c.KlTemperature >= 0 && double.IsFinite(c.KlTemperature), "loss.matryoshka_2d.kl_temperature", ">= 0 (0: no KL term)", c.KlTemperature);
            KlNeedsEqualWidths("loss.matryoshka_2d.kl_temperature", c.KlTemperature);
        }
        if (type == "starbucks")
        {
            var c = l.Starbucks;
            if (c.Layers.Count == 0 && c.Dims.Count == 0)
            {
                var example = widths is null ? "layers: [1, 2, L], dims: [8, 16, d]" : $"layers: [1, 2, {layerCount}], dims: [8, 16, {widths[^1]}]";
                Add("loss.type", ConfigErrorCodes.Missing, $"loss.type starbucks needs loss.starbucks.layers and loss.starbucks.dims, the (layer, dim) pairs as two lists (e.g. {example})");
            }
            else if (c.Layers.Count != c.Dims.Count)
            {
                Add("loss.starbucks.dims", ConfigErrorCodes.Conflict,
                    $"loss.starbucks.dims has {c.Dims.Count} entries but loss.starbucks.layers has {c.Layers.Count} (at {At("loss.starbucks.layers")}); pair i is (layers[i], dims[i])");
            }
            // Without known widths any layer >= 1 passes here; the model build checks the rest.
            var maxLayer = widths is null ? int.MaxValue : layerCount;
            for (var i = 0; i < c.Layers.Count; i++)
            {
                var layer = c.Layers[i];
                if (layer < 1 || layer > maxLayer)
                {
                    Add($"loss.starbucks.layers[{i}]", ConfigErrorCodes.OutOfRange, widths is null
                        ? $"loss.starbucks.layers[{i}] is {layer}: layers are 1-based"
                        : $"loss.starbucks.layers[{i}] is {layer}, outside [1, {layerCount}]: layers are 1-based and {layers!.Source} has {layerCount} (at {At(layers.Source)})");
                }
            }
            for (var i = 0; i < c.Dims.Count; i++)
            {
                var dim = c.Dims[i];
                var layer = i < c.Layers.Count ? c.Layers[i] : 0;
                if (dim < 1) Add($"loss.starbucks.dims[{i}]", ConfigErrorCodes.OutOfRange, $"loss.starbucks.dims[{i}] must be >= 1 (got {dim})");
                else if (widths is not null && layer >= 1 && layer <= layerCount && dim > widths[layer - 1])
                {
                    Add($"loss.starbucks.dims[{i}]", ConfigErrorCodes.OutOfRange,
                        $"loss.starbucks.dims[{i}] is {dim}, wider than hidden layer {layer} ({widths[layer - 1]} units; {layers!.Describe()}, at {At(layers.Source)})");
                }
                if (i < c.Layers.Count && Enumerable.Range(0, i).Any(j => j < c.Layers.Count && c.Layers[j] == layer && c.Dims[j] == dim))
                {
                    Add($"loss.starbucks.dims[{i}]", ConfigErrorCodes.Conflict, $"loss.starbucks pair {i} (layer {layer}, dim {dim}) is listed twice");
                }
            }
            if (c.Weights.Count > 0 && c.Weights.Count != c.Dims.Count)
            {
                Add("loss.starbucks.weights", ConfigErrorCodes.Conflict, $"loss.starbucks.weights has {c.Weights.Count} entries for {c.Dims.Count} pairs; give one per pair, or none for all 1");
            }
            for (var i = 0; i < c.Weights.Count; i++) Range(c.Weights[i] >= 0, $"loss.starbucks.weights[{i}]", ">= 0", c.Weights[i]);
            Range(c.KlDivWeight >= 0 && double.IsFinite(c.KlDivWeight), "loss.starbucks.kl_div_weight", ">= 0", c.KlDivWeight);
            Range(c.KlTemperature >= 0 && double.IsFinite(c.KlTemperature), "loss.starbucks.kl_temperature", ">= 0 (0: no KL term)", c.KlTemperature);
            KlNeedsEqualWidths("loss.starbucks.kl_temperature", c.KlTemperature);
        }
    }
}

/// <summary>The widths of the layers an embedding loss sees, and the key (and file) they come from, for messages.</summary>
/// <param name="Widths">d_ℓ per layer.</param>
/// <param name="Source">The key: <c>model.hidden_sizes</c>, <c>model.hf_config</c> or <c>model.pretrained</c>.</param>
/// <param name="File">A transformer's config.json; null for an MLP.</param>
internal sealed record EmbeddingLayerWidths(IReadOnlyList<int> Widths, string Source, string? File)
{
    /// <summary>"model.hidden_sizes is [64, 32]" or "model.hf_config (bert.json) gives 4 layers of width 64".</summary>
    public string Describe() => File is null
        ? $"{Source} is [{string.Join(", ", Widths)}]"
        : $"{Source} ({File}) gives {Widths.Count} layers of width {(Widths.Count > 0 ? Widths[0] : 0)}";

    /// <summary>"model.hidden_sizes ends with 32" or "model.hf_config (bert.json) gives width 64".</summary>
    public string DescribeLast() => File is null
        ? $"{Source} ends with {Widths[^1]}"
        : $"{Source} ({File}) gives width {Widths[^1]}";
}
