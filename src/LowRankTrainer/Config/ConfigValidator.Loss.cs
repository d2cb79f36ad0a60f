using System.Globalization;
using System.Text.RegularExpressions;
using LowRankTrainer.Adapters;

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
        if (m.HiddenSizes.Count == 0)
        {
            if (l.Type == "mrl") Add("model.hidden_sizes", ConfigErrorCodes.Conflict, "loss.type mrl needs at least one hidden layer: the last one is the representation z whose prefixes the heads read");
            return;
        }
        var d = m.HiddenSizes[^1];
        // matryoshka_2d may sample any hidden layer, so every dim must fit the narrowest one.
        var narrowest = l.Type == "matryoshka_2d" ? m.HiddenSizes.Min() : d;
        if (mrl.Dims.Count == 0) Add("loss.type", ConfigErrorCodes.Missing, $"loss.type {l.Type} needs loss.matryoshka.dims (nesting sizes, e.g. [2, 4, 8, 16, 32, {narrowest}])");
        for (var i = 0; i < mrl.Dims.Count; i++)
        {
            var dim = mrl.Dims[i];
            if (dim < 1) Add($"loss.matryoshka.dims[{i}]", ConfigErrorCodes.OutOfRange, $"loss.matryoshka.dims[{i}] must be >= 1 (got {dim})");
            else if (dim > narrowest)
            {
                var what = l.Type == "matryoshka_2d"
                    ? $"wider than hidden layer {m.HiddenSizes.ToList().IndexOf(narrowest) + 1} ({narrowest} units), which loss.type matryoshka_2d may sample: model.hidden_sizes is [{string.Join(", ", m.HiddenSizes)}]"
                    : $"larger than the representation: model.hidden_sizes ends with {d}";
                Add($"loss.matryoshka.dims[{i}]", ConfigErrorCodes.OutOfRange, $"loss.matryoshka.dims[{i}] is {dim}, {what} (at {At("model.hidden_sizes")})");
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
    /// The embedding losses (mnrl, matryoshka, matryoshka_2d, starbucks): their subsections apply to their own type only;
    /// they train an MLP's hidden layers on two augmented views of Fashion-MNIST images.
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
        if (!l.IsEmbedding) return;
        var type = l.Type;
        Range(l.Scale > 0 && double.IsFinite(l.Scale), "loss.scale", "> 0", l.Scale);
        if (l.Name != "cross_entropy") Add("loss.name", ConfigErrorCodes.Conflict, $"loss.type {type} is an in-batch contrastive loss (a cross-entropy over similarities); loss.name must stay cross_entropy (got {l.Name})");
        if (l.LabelSmoothing != 0) Add("loss.label_smoothing", ConfigErrorCodes.Conflict, $"loss.label_smoothing does not apply to loss.type {type} (at {At("loss.type")})");
        if (data.Dataset != "fashion_mnist") Add("data.dataset", ConfigErrorCodes.Conflict, $"loss.type {type} trains on two augmented views of each image and needs data.dataset fashion_mnist (got {data.Dataset}, at {At("loss.type")})");
        if (m.Name != "mlp") Add("model.name", ConfigErrorCodes.Conflict, $"loss.type {type} needs model.name mlp (its hidden layers are the embeddings), got {m.Name} (at {At("loss.type")})");
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
                $"loss.type {type} trains the whole MLP body (the head is unused); adapters and modules_to_save are not supported with it (at {At("loss.type")})");
        }
        var widths = m.HiddenSizes;
        var layerCount = widths.Count;
        if (layerCount == 0 || (type == "matryoshka_2d" && layerCount < 2))
        {
            Add("model.hidden_sizes", ConfigErrorCodes.Conflict, type == "matryoshka_2d"
                ? "loss.type matryoshka_2d needs at least two hidden layers (the last one is the embedding, earlier ones are the sub-networks it samples)"
                : $"loss.type {type} needs at least one hidden layer: the last one is the embedding");
            return;
        }
        var equalWidths = widths.All(w => w == widths[^1]);
        void KlNeedsEqualWidths(string key, double temperature)
        {
            if (temperature > 0 && !equalWidths)
            {
                Add(key, ConfigErrorCodes.Conflict,
                    $"{key} {Format(temperature)} > 0 compares every layer with the last one, which needs equal hidden widths, but model.hidden_sizes is [{string.Join(", ", widths)}] (at {At("model.hidden_sizes")}); set it to 0 or use equal widths");
            }
        }
        if (type == "matryoshka_2d")
        {
            var c = l.Matryoshka2d;
            Range(c.NLayersPerStep == -1 || (c.NLayersPerStep >= 1 && c.NLayersPerStep <= layerCount - 1),
                  "loss.matryoshka_2d.n_layers_per_step", $"-1 (all earlier layers) or in [1, {layerCount - 1}] (model.hidden_sizes has {layerCount} layers)", c.NLayersPerStep);
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
                Add("loss.type", ConfigErrorCodes.Missing, $"loss.type starbucks needs loss.starbucks.layers and loss.starbucks.dims, the (layer, dim) pairs as two lists (e.g. layers: [1, 2, {layerCount}], dims: [8, 16, {widths[^1]}])");
            }
            else if (c.Layers.Count != c.Dims.Count)
            {
                Add("loss.starbucks.dims", ConfigErrorCodes.Conflict,
                    $"loss.starbucks.dims has {c.Dims.Count} entries but loss.starbucks.layers has {c.Layers.Count} (at {At("loss.starbucks.layers")}); pair i is (layers[i], dims[i])");
            }
            for (var i = 0; i < c.Layers.Count; i++)
            {
                var layer = c.Layers[i];
                if (layer < 1 || layer > layerCount)
                {
                    Add($"loss.starbucks.layers[{i}]", ConfigErrorCodes.OutOfRange,
                        $"loss.starbucks.layers[{i}] is {layer}, outside [1, {layerCount}]: layers are 1-based and model.hidden_sizes has {layerCount} (at {At("model.hidden_sizes")})");
                }
            }
            for (var i = 0; i < c.Dims.Count; i++)
            {
                var dim = c.Dims[i];
                var layer = i < c.Layers.Count ? c.Layers[i] : 0;
                if (dim < 1) Add($"loss.starbucks.dims[{i}]", ConfigErrorCodes.OutOfRange, $"loss.starbucks.dims[{i}] must be >= 1 (got {dim})");
                else if (layer >= 1 && layer <= layerCount && dim > widths[layer - 1])
                {
                    Add($"loss.starbucks.dims[{i}]", ConfigErrorCodes.OutOfRange,
                        $"loss.starbucks.dims[{i}] is {dim}, wider than hidden layer {layer} ({widths[layer - 1]} units; model.hidden_sizes is [{string.Join(", ", widths)}], at {At("model.hidden_sizes")})");
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
