using System.Globalization;
using System.Text.RegularExpressions;
using LowRankTrainer.Adapters;

namespace LowRankTrainer.Config;

/// <summary>
/// Range, choice and cross-field checks on a mapped config. Every check runs and every failure is
/// reported at the key's own position (or the override that set it).
/// </summary>
internal sealed partial class ConfigValidator
{
    private static readonly string[] Models = ["mlp", "lenet5", "cnn"];
    private static readonly string[] Losses = ["cross_entropy", "mse"];
    private static readonly string[] LossTypes = [.. LossConfig.Types];
    private static readonly string[] Datasets = ["fashion_mnist", "csv", "jsonl"];
    private static readonly string[] Optimizers = ["adamw_torch", "adamw_torch_fused", "sgd"];
    private static readonly string[] Schedulers = ["linear", "cosine", "constant"];
    private static readonly string[] Strategies = ["no", "steps", "epoch"];

    private readonly IReadOnlyDictionary<string, ConfigLocation> _locations;
    private readonly ConfigLocation _fallback;
    private readonly List<ConfigDiagnostic> _diagnostics = [];

    private ConfigValidator(IReadOnlyDictionary<string, ConfigLocation> locations, ConfigLocation fallback)
    {
        _locations = locations;
        _fallback = fallback;
    }

    public static IReadOnlyList<ConfigDiagnostic> Validate(ExperimentConfig c, IReadOnlyDictionary<string, ConfigLocation> locations, ConfigLocation fallback)
    {
        var v = new ConfigValidator(locations, fallback);
        v.CheckModel(c.Model, c.Data);
        v.CheckAdapterAndLoss(c.Adapter, c.Loss);
        v.CheckMatryoshka(c.Loss, c.Model);
        v.CheckEmbeddingLoss(c.Loss, c.Model, c.Data, c.Adapter);
        v.CheckData(c.Data);
        v.CheckTrain(c.Train);
        v.Choice("eval.eval_strategy", c.Eval.EvalStrategy, Strategies);
        v.Range(c.Eval.EvalSteps >= 1, "eval.eval_steps", ">= 1", c.Eval.EvalSteps);
        v.Range(c.Eval.PerDeviceEvalBatchSize >= 1, "eval.per_device_eval_batch_size", ">= 1", c.Eval.PerDeviceEvalBatchSize);
        v.Choice("checkpoint.save_strategy", c.Checkpoint.SaveStrategy, Strategies);
        v.Range(c.Checkpoint.SaveSteps >= 1, "checkpoint.save_steps", ">= 1", c.Checkpoint.SaveSteps);
        v.Range(c.Checkpoint.SaveTotalLimit is null or >= 1, "checkpoint.save_total_limit", "null or >= 1", c.Checkpoint.SaveTotalLimit);
        v.Range(c.Logging.LoggingSteps >= 1, "logging.logging_steps", ">= 1", c.Logging.LoggingSteps);
        return v._diagnostics;
    }

    private void CheckModel(ModelConfig m, DataConfig data)
    {
        Choice("model.name", m.Name, Models);
        for (var i = 0; i < m.HiddenSizes.Count; i++)
        {
            Range(m.HiddenSizes[i] >= 1, $"model.hidden_sizes[{i}]", ">= 1", m.HiddenSizes[i]);
        }
        Range(m.NumClasses >= 1, "model.num_classes", ">= 1", m.NumClasses);
        Range(m.InChannels >= 1, "model.in_channels", ">= 1", m.InChannels);
        Range(m.ImageSize >= 1, "model.image_size", ">= 1", m.ImageSize);
        Range(m.Dropout is >= 0 and < 1, "model.dropout", "in [0, 1)", m.Dropout);
        if (m.Pretrained is "") Add("model.pretrained", ConfigErrorCodes.OutOfRange, "model.pretrained must be a path (a .safetensors file or a run's folder), or null");
        if (m.PretrainedSkip.Count > 0 && m.Pretrained is null) Add("model.pretrained_skip", ConfigErrorCodes.Conflict, "model.pretrained_skip needs model.pretrained");
        for (var i = 0; i < m.PretrainedSkip.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(m.PretrainedSkip[i])) Add($"model.pretrained_skip[{i}]", ConfigErrorCodes.OutOfRange, "model.pretrained_skip entries must be module names, not empty");
        }
        if (m.Name is "lenet5" or "cnn")
        {
            // Both convolutional models are laid out for 1x28x28 images (Fashion-MNIST).
            if (m.ImageSize != 28) Add("model.image_size", ConfigErrorCodes.Conflict, $"model.name {m.Name} needs model.image_size 28 (got {m.ImageSize})");
            if (m.InChannels != 1) Add("model.in_channels", ConfigErrorCodes.Conflict, $"model.name {m.Name} needs model.in_channels 1 (got {m.InChannels})");
            if (data.Dataset is "csv" or "jsonl") Add("model.name", ConfigErrorCodes.Conflict, $"model.name {m.Name} needs image data (data.dataset fashion_mnist), not data.dataset {data.Dataset}");
        }
        if (data.Classes.Count > 0)
        {
            if (m.NumClasses != data.Classes.Count)
            {
                Add("model.num_classes", ConfigErrorCodes.Conflict, $"data.classes keeps {data.Classes.Count} classes (renumbered 0–{data.Classes.Count - 1}), but model.num_classes is {m.NumClasses}");
            }
        }
        else if (data.Dataset == "fashion_mnist")
        {
            if (m.NumClasses != 10) Add("model.num_classes", ConfigErrorCodes.Conflict, $"data.dataset fashion_mnist has 10 classes, but model.num_classes is {m.NumClasses}");
        }
        if (data.Dataset == "fashion_mnist")
        {
            if (m.ImageSize != 28 && m.Name == "mlp") Add("model.image_size", ConfigErrorCodes.Conflict, $"data.dataset fashion_mnist has 28x28 images, but model.image_size is {m.ImageSize}");
            if (m.InChannels != 1 && m.Name == "mlp") Add("model.in_channels", ConfigErrorCodes.Conflict, $"data.dataset fashion_mnist has 1 channel, but model.in_channels is {m.InChannels}");
        }
    }

    private void CheckAdapterAndLoss(AdapterConfig a, LossConfig l)
    {
        CheckAdapter(a);
        Choice("loss.name", l.Name, Losses);
        Range(l.LabelSmoothing is >= 0 and < 1, "loss.label_smoothing", "in [0, 1)", l.LabelSmoothing);
        if (l.Name == "mse" && l.LabelSmoothing > 0)
        {
            Add("loss.label_smoothing", ConfigErrorCodes.Conflict, $"loss.label_smoothing applies to cross_entropy only, but loss.name is mse (at {At("loss.name")})");
        }
    }

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

    private void CheckAdapter(AdapterConfig a)
    {
        // Every registered method is a valid choice, so a new method needs no change here.
        string[] methods = [AdapterConfigMapper.None, .. AdapterRegistry.Methods.Select(m => m.Name)];
        Choice("adapter.method", a.Method, methods);
        for (var i = 0; i < a.ModulesToSave.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(a.ModulesToSave[i])) Add($"adapter.modules_to_save[{i}]", ConfigErrorCodes.OutOfRange, "adapter.modules_to_save entries must be module names, not empty");
        }
        for (var i = 0; i < a.TargetModules.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(a.TargetModules[i])) Add($"adapter.target_modules[{i}]", ConfigErrorCodes.OutOfRange, "adapter.target_modules entries must be module names, not empty");
        }
        for (var i = 0; i < a.ExcludeModules.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(a.ExcludeModules[i])) Add($"adapter.exclude_modules[{i}]", ConfigErrorCodes.OutOfRange, "adapter.exclude_modules entries must be module names, not empty");
        }
        if (a.R is { } rank) Range(rank >= 1, "adapter.r", ">= 1", rank);
        if (a.LoraAlpha is { } loraAlpha) Range(loraAlpha > 0, "adapter.lora_alpha", "> 0", loraAlpha);
        Range(a.InitStd >= 0, "adapter.init_std", ">= 0", a.InitStd);
        Range(a.SvfitThreshold is > 0 and <= 1, "adapter.svfit_threshold", "in (0, 1]", a.SvfitThreshold);
        Choice("adapter.svfit_criterion", a.SvfitCriterion, ["energy", "sum"]);
        Range(a.LoraSbNumSamples >= 1, "adapter.lora_sb_num_samples", ">= 1", a.LoraSbNumSamples);
        Range(a.LoraDropout is >= 0 and < 1, "adapter.lora_dropout", "in [0, 1)", a.LoraDropout);
        Range(a.RandloraAlpha > 0, "adapter.randlora_alpha", "> 0", a.RandloraAlpha);
        Range(a.RandloraDropout is >= 0 and < 1, "adapter.randlora_dropout", "in [0, 1)", a.RandloraDropout);
        Choice("adapter.randlora_scaling", a.RandloraScaling, ["peft", "paper"]);
        Range(a.ProjectionPrngKey >= 0, "adapter.projection_prng_key", ">= 0", a.ProjectionPrngKey);
        if (a.Method == "randlora" && a.ProjectionSeed is not null && a.ProjectionPrngKey != 0)
        {
            Add("adapter.projection_seed", ConfigErrorCodes.Conflict, $"adapter.projection_seed and adapter.projection_prng_key (PEFT's name) both seed RandLoRA's bases; keep one (adapter.projection_prng_key is set at {At("adapter.projection_prng_key")})");
        }
        if (a.Sparse && a.VerySparse) Add("adapter.very_sparse", ConfigErrorCodes.OutOfRange, "adapter.sparse and adapter.very_sparse cannot both be true");
        Range(a.LotrScale > 0, "adapter.lotr_scale", "> 0", a.LotrScale);
        Choice("adapter.lotr_init", a.LotrInit, ["normal", "scaled"]);
        Choice("adapter.init_lora_weights", a.InitLoraWeights, ["true", "gaussian"]);
        foreach (var (key, r) in a.RankPattern) Range(r >= 1, "adapter.rank_pattern", $">= 1 for every key ('{key}')", r);
        foreach (var (key, alpha) in a.AlphaPattern) Range(alpha > 0, "adapter.alpha_pattern", $"> 0 for every key ('{key}')", alpha);
        if (a.ExcludeRegex is not null && a.ExcludeModules.Count > 0)
        {
            Add("adapter.exclude_regex", ConfigErrorCodes.Conflict, $"adapter.exclude_regex and adapter.exclude_modules cannot both be set; keep one (adapter.exclude_modules is set at {At("adapter.exclude_modules")})");
        }
        if (a.LayersToTransform.Count > 0 && a.TargetRegex is not null)
        {
            Add("adapter.layers_to_transform", ConfigErrorCodes.Conflict, "adapter.layers_to_transform filters a target_modules list; with adapter.target_regex put the layer indices into the regex");
        }
        if (a.LayersPattern.Count > 0 && a.LayersToTransform.Count == 0)
        {
            Add("adapter.layers_pattern", ConfigErrorCodes.Conflict, "adapter.layers_pattern is used only with adapter.layers_to_transform");
        }
        for (var i = 0; i < a.LayersToTransform.Count; i++) Range(a.LayersToTransform[i] >= 0, $"adapter.layers_to_transform[{i}]", ">= 0", a.LayersToTransform[i]);
        foreach (var (key, pattern) in new[] { ("adapter.target_regex", a.TargetRegex), ("adapter.exclude_regex", a.ExcludeRegex) }.Concat(a.RankPattern.Keys.Concat(a.AlphaPattern.Keys).Select(k => ("adapter.rank_pattern", (string?)k))))
        {
            if (pattern is null) continue;
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                Add(key, ConfigErrorCodes.OutOfRange, $"{key}: '{pattern}' is not a regular expression ({e.Message})");
            }
        }

        var isNone = a.Method == AdapterConfigMapper.None;
        var known = isNone || AdapterRegistry.Methods.Any(m => m.Name == a.Method);
        if (!known) return;
        var defaults = new AdapterConfig();
        if (isNone)
        {
            if (a.TargetModules.Count > 0 || a.TargetRegex is not null)
            {
                Add(a.TargetRegex is not null ? "adapter.target_regex" : "adapter.target_modules", ConfigErrorCodes.Conflict,
                    $"adapter targets need an adapter method, but adapter.method is none (at {At("adapter.method")}); " +
                    $"set it to one of {string.Join(", ", methods.Skip(1))}, or use adapter.modules_to_save alone to train whole modules");
            }
            if (a.ExcludeModules.Count > 0) Add("adapter.exclude_modules", ConfigErrorCodes.Conflict, $"adapter.exclude_modules needs an adapter method, but adapter.method is none (at {At("adapter.method")})");
            if (a.Bias != defaults.Bias) Add("adapter.bias", ConfigErrorCodes.Conflict, $"adapter.bias needs an adapter method, but adapter.method is none (at {At("adapter.method")})");
            if (a.InitSeed is not null) Add("adapter.init_seed", ConfigErrorCodes.Conflict, $"adapter.init_seed needs an adapter method, but adapter.method is none (at {At("adapter.method")})");
        }
        else
        {
            if (a.TargetModules.Count == 0 && a.TargetRegex is null)
            {
                Add("adapter.method", ConfigErrorCodes.Missing,
                    $"adapter.method {a.Method} needs adapter.target_modules (module-name suffixes such as [layers.0], or all-linear) or adapter.target_regex");
            }
            if (a.TargetModules.Count > 0 && a.TargetRegex is not null)
            {
                Add("adapter.target_regex", ConfigErrorCodes.Conflict, $"give adapter.target_modules (at {At("adapter.target_modules")}) or adapter.target_regex, not both");
            }
            foreach (var keyword in new[] { TargetSelector.AllLinear, TargetSelector.All })
            {
                if (a.TargetModules.Contains(keyword) && a.TargetModules.Count > 1)
                {
                    Add("adapter.target_modules", ConfigErrorCodes.Conflict, $"adapter.target_modules {keyword} stands alone; do not list it with other names");
                }
            }
            var method = AdapterRegistry.Get(a.Method);
            if (a.Bias is not ("none" or "all") && a.Bias != method.Name + "_only")
            {
                Add("adapter.bias", ConfigErrorCodes.InvalidChoice, $"adapter.bias must be one of none, all, {method.Name}_only (got '{a.Bias}')");
            }
            if (a.Projection is not ("fastfood" or "dense" or "sparse"))
            {
                Add("adapter.projection", ConfigErrorCodes.InvalidChoice, $"adapter.projection must be one of fastfood, dense, sparse (got '{a.Projection}')");
            }
            if (a.D is < 1) Add("adapter.d", ConfigErrorCodes.OutOfRange, $"adapter.d (the intrinsic dimension) must be at least 1 (got {a.D})");
            if (a.MaxProjectionMb < 0) Add("adapter.max_projection_mb", ConfigErrorCodes.OutOfRange, $"adapter.max_projection_mb must be ≥ 0 (got {a.MaxProjectionMb})");
        }
        // A method-specific key set away from its default must be one the method takes (the writer saves every key, so defaults are always fine).
        foreach (var key in AdapterConfigMapper.KeysNotValidFor(a))
        {
            Add("adapter." + key, ConfigErrorCodes.Conflict,
                $"adapter.{key} is not valid for adapter.method {a.Method} (at {At("adapter.method")}); it applies to {string.Join(", ", AdapterConfigMapper.MethodsTaking(key))}");
        }
    }

    private void CheckData(DataConfig d)
    {
        Choice("data.dataset", d.Dataset, Datasets);
        var seen = new HashSet<int>();
        for (var i = 0; i < d.Classes.Count; i++)
        {
            var c = d.Classes[i];
            if (c < 0 || (d.Dataset == "fashion_mnist" && c > 9))
            {
                Add($"data.classes[{i}]", ConfigErrorCodes.OutOfRange, $"data.classes[{i}] is {c}, not a class of data.dataset {d.Dataset}{(d.Dataset == "fashion_mnist" ? " (0–9)" : " (class indices are >= 0)")}");
            }
            else if (!seen.Add(c))
            {
                Add($"data.classes[{i}]", ConfigErrorCodes.OutOfRange, $"data.classes lists class {c} twice");
            }
        }
        if (d.Dataset is "csv" or "jsonl")
        {
            if (string.IsNullOrWhiteSpace(d.Path)) Add("data.dataset", ConfigErrorCodes.Missing, $"data.dataset {d.Dataset} needs data.path (the training file)");
            if (d.FeatureColumns.Count == 0) Add("data.dataset", ConfigErrorCodes.Missing, $"data.dataset {d.Dataset} needs data.feature_columns");
            if (string.IsNullOrWhiteSpace(d.LabelColumn)) Add("data.dataset", ConfigErrorCodes.Missing, $"data.dataset {d.Dataset} needs data.label_column");
        }
        else if (d.Dataset == "fashion_mnist")
        {
            (string Key, bool Set)[] tabularOnly =
            [
                ("data.eval_path", d.EvalPath is not null),
                ("data.feature_columns", d.FeatureColumns.Count > 0),
                ("data.label_column", d.LabelColumn is not null),
            ];
            foreach (var (key, set) in tabularOnly.Where(k => k.Set))
            {
                Add(key, ConfigErrorCodes.Conflict, $"{key} applies to csv/jsonl datasets only, but data.dataset is fashion_mnist");
            }
        }
    }

    private void CheckTrain(TrainConfig t)
    {
        Range(t.NumTrainEpochs > 0, "train.num_train_epochs", "> 0", t.NumTrainEpochs);
        Range(t.MaxSteps == -1 || t.MaxSteps > 0, "train.max_steps", "-1 (use num_train_epochs) or > 0", t.MaxSteps);
        Range(t.PerDeviceTrainBatchSize >= 1, "train.per_device_train_batch_size", ">= 1", t.PerDeviceTrainBatchSize);
        Range(t.GradientAccumulationSteps >= 1, "train.gradient_accumulation_steps", ">= 1", t.GradientAccumulationSteps);
        Range(t.LearningRate > 0, "train.learning_rate", "> 0", t.LearningRate);
        Range(t.WeightDecay >= 0, "train.weight_decay", ">= 0", t.WeightDecay);
        Choice("train.optim", t.Optim, Optimizers);
        Range(t.AdamBeta1 is >= 0 and < 1, "train.adam_beta1", "in [0, 1)", t.AdamBeta1);
        Range(t.AdamBeta2 is >= 0 and < 1, "train.adam_beta2", "in [0, 1)", t.AdamBeta2);
        Range(t.AdamEpsilon > 0, "train.adam_epsilon", "> 0", t.AdamEpsilon);
        Range(t.Momentum is >= 0 and < 1, "train.momentum", "in [0, 1)", t.Momentum);
        Range(t.MaxGradNorm >= 0, "train.max_grad_norm", ">= 0 (0 disables clipping)", t.MaxGradNorm);
        Choice("train.lr_scheduler_type", t.LrSchedulerType, Schedulers);
        Range(t.WarmupSteps >= 0, "train.warmup_steps", ">= 0", t.WarmupSteps);
        Range(t.WarmupRatio is >= 0 and < 1, "train.warmup_ratio", "in [0, 1)", t.WarmupRatio);
        Range(t.NumThreads is null or >= 1, "train.num_threads", "null or >= 1", t.NumThreads);
        if (!DevicePattern().IsMatch(t.Device))
        {
            Add("train.device", ConfigErrorCodes.InvalidChoice, $"train.device must be cpu, cuda or cuda:N (got '{t.Device}')");
        }
        if (t.WarmupSteps > 0 && t.WarmupRatio > 0)
        {
            Add("train.warmup_steps", ConfigErrorCodes.Conflict,
                $"train.warmup_steps and train.warmup_ratio cannot both be set; keep one (train.warmup_ratio is set at {At("train.warmup_ratio")})");
        }
        if (t.Momentum > 0 && t.Optim != "sgd")
        {
            Add("train.momentum", ConfigErrorCodes.Conflict, $"train.momentum applies to optim sgd only, but train.optim is {t.Optim} (at {At("train.optim")})");
        }
        if (t.Nesterov && (t.Optim != "sgd" || t.Momentum <= 0))
        {
            Add("train.nesterov", ConfigErrorCodes.Conflict, $"train.nesterov needs train.optim sgd and train.momentum > 0 (got optim {t.Optim}, momentum {Format(t.Momentum)})");
        }
        if (t.Optim == "adamw_torch_fused" && t.Device != "cpu" && DevicePattern().IsMatch(t.Device))
        {
            Add("train.optim", ConfigErrorCodes.Conflict,
                $"train.optim adamw_torch_fused runs on the CPU only, but train.device is {t.Device} (at {At("train.device")}); use adamw_torch");
        }
    }

    [GeneratedRegex(@"^(cpu|cuda|cuda:\d+)$")]
    private static partial Regex DevicePattern();

    private ConfigLocation At(string path)
    {
        // The key itself, else its list (for an item), else its section, else the file.
        for (var p = path; p.Length > 0; p = p.Contains('[', StringComparison.Ordinal) ? p[..p.IndexOf('[', StringComparison.Ordinal)] : p.Contains('.', StringComparison.Ordinal) ? p[..p.LastIndexOf('.')] : "")
        {
            if (_locations.TryGetValue(p, out var location)) return location;
        }
        return _fallback;
    }

    private void Add(string path, string code, string message) => _diagnostics.Add(new(At(path), code, message));

    private void Range(bool ok, string path, string requirement, object? got)
    {
        if (!ok) Add(path, ConfigErrorCodes.OutOfRange, $"{path} must be {requirement} (got {Format(got)})");
    }

    private void Choice(string path, string value, string[] allowed)
    {
        if (allowed.Contains(value, StringComparer.Ordinal)) return;
        var suggestion = DidYouMean.Suggest(value, allowed);
        var hint = suggestion is null ? "" : $"; did you mean '{suggestion}'?";
        Add(path, ConfigErrorCodes.InvalidChoice, $"{path} must be one of {string.Join(", ", allowed)} (got '{value}'{hint})");
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
