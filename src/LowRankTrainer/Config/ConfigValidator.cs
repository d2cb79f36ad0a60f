using System.Globalization;
using System.Text.RegularExpressions;
using LowRankTrainer.Adapters;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Runs;

namespace LowRankTrainer.Config;

/// <summary>
/// Range, choice and cross-field checks on a mapped config. Every check runs and every failure is
/// reported at the key's own position (or the override that set it).
/// </summary>
internal sealed partial class ConfigValidator
{
    private static readonly string[] Models = ["mlp", "resmlp", "lenet5", "cnn", "linear", .. TransformerRegistry.ModelTypes.Order(StringComparer.Ordinal)];
    private static readonly string[] Inits = ["default", "zeros"];
    private static readonly string[] Tasks = ["sequence_classification", "causal_lm"];
    private static readonly string[] Losses = ["cross_entropy", "mse"];
    private static readonly string[] LossTypes = [.. LossConfig.Types];
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
        v.CheckFusedLoss(c.Loss, c.Model);
        v.CheckMatryoshka(c.Loss, c.Model);
        v.CheckEmbeddingLoss(c.Loss, c.Model, c.Data, c.Adapter);
        v.CheckData(c.Data, c.Model, c.Loss);
        v.CheckTrain(c.Train);
        v.Choice("eval.eval_strategy", c.Eval.EvalStrategy, Strategies);
        v.Range(c.Eval.EvalSteps >= 1, "eval.eval_steps", ">= 1", c.Eval.EvalSteps);
        v.Range(c.Eval.PerDeviceEvalBatchSize >= 1, "eval.per_device_eval_batch_size", ">= 1", c.Eval.PerDeviceEvalBatchSize);
        v.Choice("checkpoint.save_strategy", c.Checkpoint.SaveStrategy, Strategies);
        v.Range(c.Checkpoint.SaveSteps >= 1, "checkpoint.save_steps", ">= 1", c.Checkpoint.SaveSteps);
        v.Range(c.Checkpoint.SaveTotalLimit is null or >= 1, "checkpoint.save_total_limit", "null or >= 1", c.Checkpoint.SaveTotalLimit);
        v.Range(c.Logging.LoggingSteps >= 1, "logging.logging_steps", ">= 1", c.Logging.LoggingSteps);
        v.CheckReportTo(c.Logging.ReportTo);
        return v._diagnostics;
    }

    /// <summary>
    /// <c>logging.report_to</c>: every item a known sink (<see cref="MetricsSinks.Known"/>); <c>none</c> means "no
    /// sink", as in HF TrainingArguments, so it cannot stand beside a real one.
    /// </summary>
    private void CheckReportTo(IReadOnlyList<string> reportTo)
    {
        var known = MetricsSinks.Known.ToArray();
        for (var i = 0; i < reportTo.Count; i++) Choice($"logging.report_to[{i}]", reportTo[i], known);
        if (reportTo.Contains("none") && reportTo.Any(s => s != "none" && known.Contains(s)))
        {
            Add("logging.report_to", ConfigErrorCodes.Conflict, $"logging.report_to lists none (no sink) beside other sinks ([{string.Join(", ", reportTo)}]); keep one or the other");
        }
    }

    private void CheckTransformer(ModelConfig m, DataConfig data)
    {
        var transformer = TransformerRegistry.ModelTypes.Contains(m.Name);
        var text = data.Dataset is "text_jsonl" or "text_csv" or "spam_assassin" or "text_lm" or "brown" or "brown_pairs";
        var lm = data.Dataset is "text_lm" or "brown";
        if (text && !transformer && m.Name is not ("lenet5" or "cnn"))   // those two get "needs image data" below
            Add("model.name", ConfigErrorCodes.Conflict, $"data.dataset {data.Dataset} gives token ids: it needs a transformer model.name ({string.Join(", ", TransformerRegistry.ModelTypes.Order(StringComparer.Ordinal))}), not {m.Name}");
        if (transformer && !text)
            Add("model.name", ConfigErrorCodes.Conflict, $"model.name {m.Name} needs text data (data.dataset text_jsonl, text_csv, spam_assassin, text_lm, brown or brown_pairs), not {data.Dataset}");
        if (transformer && text && lm != (m.Task == "causal_lm"))
            Add("model.task", ConfigErrorCodes.Conflict, lm
                ? $"data.dataset {data.Dataset} gives next-token targets: it needs model.task causal_lm, not {m.Task}"
                : $"model.task {m.Task} needs language-model data (data.dataset text_lm or brown), not {data.Dataset}");
        if (!transformer)
        {
            if (m.HfConfig is not null) Add("model.hf_config", ConfigErrorCodes.Conflict, $"model.hf_config is for transformer models ({string.Join(", ", TransformerRegistry.ModelTypes.Order(StringComparer.Ordinal))}), not model.name {m.Name}");
            if (m.Task != "sequence_classification") Add("model.task", ConfigErrorCodes.Conflict, $"model.task is for transformer models, not model.name {m.Name}");
            return;
        }
        Choice("model.task", m.Task, Tasks);
        if (m.HfConfig is null && m.Pretrained is null)
            Add("model.name", ConfigErrorCodes.Conflict, $"model.name {m.Name} needs model.hf_config (a config.json with the sizes, for a fresh model) or model.pretrained (an HF checkpoint folder)");
        if (m.HfConfig is not null && m.Pretrained is not null)
            Add("model.hf_config", ConfigErrorCodes.Conflict, "model.hf_config and model.pretrained exclude each other: a checkpoint folder has its own config.json");
        if (m.PretrainedSkip.Count > 0) Add("model.pretrained_skip", ConfigErrorCodes.Conflict, $"model.pretrained_skip is not used by transformers: a new model.task gets a new head by itself");
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
        Choice("model.init", m.Init, Inits);
        // The MLP and the other models build their layers with biases and nn.Linear's init; only linear reads these.
        if (m.Name != "linear" && Models.Contains(m.Name))
        {
            if (!m.Bias) Add("model.bias", ConfigErrorCodes.Conflict, $"model.bias applies to model.name linear only, not {m.Name}");
            if (m.Init != new ModelConfig().Init) Add("model.init", ConfigErrorCodes.Conflict, $"model.init applies to model.name linear only, not {m.Name}");
        }
        if (m.Name == "linear" && m.Dropout > 0) Add("model.dropout", ConfigErrorCodes.Conflict, "model.name linear has no hidden layers to drop out; remove model.dropout");
        CheckTransformer(m, data);
        if (m.Pretrained is "") Add("model.pretrained", ConfigErrorCodes.OutOfRange, "model.pretrained must be a path (a .safetensors file or a run's folder), or null");
        if (m.PretrainedSkip.Count > 0 && m.Pretrained is null) Add("model.pretrained_skip", ConfigErrorCodes.Conflict, "model.pretrained_skip needs model.pretrained");
        for (var i = 0; i < m.PretrainedSkip.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(m.PretrainedSkip[i])) Add($"model.pretrained_skip[{i}]", ConfigErrorCodes.OutOfRange, "model.pretrained_skip entries must be module names, not empty");
        }
        CheckResMlp(m);
        if (m.Name is "lenet5" or "cnn")
        {
            // Both convolutional models are laid out for 1x28x28 images (Fashion-MNIST).
            if (m.ImageSize != 28) Add("model.image_size", ConfigErrorCodes.Conflict, $"model.name {m.Name} needs model.image_size 28 (got {m.ImageSize})");
            if (m.InChannels != 1) Add("model.in_channels", ConfigErrorCodes.Conflict, $"model.name {m.Name} needs model.in_channels 1 (got {m.InChannels})");
            if (data.Dataset != "fashion_mnist") Add("model.name", ConfigErrorCodes.Conflict, $"model.name {m.Name} needs image data (data.dataset fashion_mnist), not data.dataset {data.Dataset}");
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
            if (m.ImageSize != 28 && m.Name is "mlp" or "resmlp") Add("model.image_size", ConfigErrorCodes.Conflict, $"data.dataset fashion_mnist has 28x28 images, but model.image_size is {m.ImageSize}");
            if (m.InChannels != 1 && m.Name is "mlp" or "resmlp") Add("model.in_channels", ConfigErrorCodes.Conflict, $"data.dataset fashion_mnist has 1 channel, but model.in_channels is {m.InChannels}");
        }
    }

    /// <summary><c>resmlp</c>: one width, at least one block, no dropout; <c>model.num_blocks</c> for it alone.</summary>
    private void CheckResMlp(ModelConfig m)
    {
        if (m.Name != "resmlp")
        {
            if (m.NumBlocks != new ModelConfig().NumBlocks) Add("model.num_blocks", ConfigErrorCodes.Conflict, $"model.num_blocks applies to model.name resmlp only, but model.name is {m.Name}");
            return;
        }
        Range(m.NumBlocks >= 1, "model.num_blocks", ">= 1", m.NumBlocks);
        if (m.HiddenSizes.Count != 1)
        {
            Add("model.hidden_sizes", ConfigErrorCodes.Conflict, $"model.name resmlp takes exactly one model.hidden_sizes value, the width of the stem and of every block (e.g. [128]), got [{string.Join(", ", m.HiddenSizes)}]");
        }
        if (m.Dropout != 0) Add("model.dropout", ConfigErrorCodes.Conflict, $"model.name resmlp has no dropout layers, but model.dropout is {Format(m.Dropout)}; set it to 0");
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

    // loss.fused_linear_cross_entropy replaces a causal LM's head + cross-entropy; anything else it cannot stand in for.
    private void CheckFusedLoss(LossConfig l, ModelConfig m)
    {
        if (!l.FusedLinearCrossEntropy) return;
        const string key = "loss.fused_linear_cross_entropy";
        if (!TransformerRegistry.ModelTypes.Contains(m.Name) || m.Task != "causal_lm")
            Add(key, ConfigErrorCodes.Conflict, $"{key} fuses a causal language model's head with its loss: it needs a transformer model.name with model.task causal_lm, not {m.Name} ({m.Task})");
        if (l.Name != "cross_entropy" || l.Type != "standard")
            Add(key, ConfigErrorCodes.Conflict, $"{key} needs loss.name cross_entropy and loss.type standard, not {l.Name} / {l.Type}");
        if (l.LabelSmoothing > 0)
            Add(key, ConfigErrorCodes.Conflict, $"{key} computes plain cross-entropy; loss.label_smoothing {Format(l.LabelSmoothing)} is not supported with it");
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
        Range(t.EmptyCacheSteps is null or >= 0, "train.empty_cache_steps", "null or >= 0 (0 or null: never)", t.EmptyCacheSteps);
        Choice("train.on_nonfinite", t.OnNonfinite, [.. Training.NonFiniteWatchdog.Policies]);
        Range(t.MaxSkippedSteps >= 0, "train.max_skipped_steps", ">= 0", t.MaxSkippedSteps);
        Range(t.DdpTimeout >= 1, "train.ddp_timeout", ">= 1 (seconds)", t.DdpTimeout);
        Choice("train.dtype", t.Dtype, [.. Training.MixedPrecision.Choices]);
        if (!DevicePattern().IsMatch(t.Device))
        {
            Add("train.device", ConfigErrorCodes.InvalidChoice, $"train.device must be {Training.TrainingDevice.Choices} (got '{t.Device}')");
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
        // Fused AdamW on a GPU depends on the linked libtorch (2.4+), so TrainingDevice.CheckSupported decides at run time.
    }

    [GeneratedRegex(@"^(auto|cpu|cuda|cuda:\d+)$")]
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
