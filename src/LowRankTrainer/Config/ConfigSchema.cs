namespace LowRankTrainer.Config;

/// <summary>The YAML types a config key can hold.</summary>
internal enum ValueKind
{
    Int,
    NullableInt,
    Double,
    NullableDouble,
    Bool,
    String,
    NullableString,
    IntList,
    DoubleList,
    StringList,

    /// <summary>A list of strings, or the single string <c>all-linear</c> (read as <c>["all-linear"]</c>).</summary>
    TargetList,

    /// <summary>A mapping of string keys to integers.</summary>
    IntMap,

    /// <summary>A mapping of string keys to numbers.</summary>
    DoubleMap,
}

/// <summary>
/// One key of a section: its snake_case name, type, and how to read and set it on the record. A dotted name
/// (<c>matryoshka.dims</c>) is a key of a nested subsection; fields of one subsection are listed together.
/// </summary>
internal sealed record FieldSpec(string Key, ValueKind Kind, Func<object, object?> Get, Func<object, object?, object> Set);

/// <summary>One section (model, adapter, ...): its key, its fields in writing order, and how to read and set it on the experiment.</summary>
internal sealed record SectionSpec(
    string Key,
    Func<ExperimentConfig, object> Get,
    Func<ExperimentConfig, object, ExperimentConfig> Set,
    IReadOnlyList<FieldSpec> Fields)
{
    public FieldSpec? Field(string key) => Fields.FirstOrDefault(f => f.Key == key);

    /// <summary>
    /// Whether <paramref name="key"/> names a nested subsection (fields keyed <c>key.sub</c>, written as a
    /// mapping under <c>key:</c>, e.g. <c>loss.matryoshka</c>).
    /// </summary>
    public bool IsSubsection(string key) => Fields.Any(f => f.Key.StartsWith(key + ".", StringComparison.Ordinal));
}

/// <summary>
/// The table that maps YAML keys onto the option records. The loader, the writer and the
/// did-you-mean suggestions all read it, so a new key is one line here.
/// </summary>
internal static class ConfigSchema
{
    /// <summary>Top-level keys that are not sections.</summary>
    public const string NameKey = "name";

    /// <summary>The inheritance key, resolved before mapping.</summary>
    public const string BaseKey = "base";

    public static IReadOnlyList<SectionSpec> Sections { get; } =
    [
        Section<ModelConfig>("model", c => c.Model, (c, s) => c with { Model = s },
            F<ModelConfig, string>("name", ValueKind.String, r => r.Name, (r, v) => r with { Name = v }),
            F<ModelConfig, IReadOnlyList<int>>("hidden_sizes", ValueKind.IntList, r => r.HiddenSizes, (r, v) => r with { HiddenSizes = v }),
            F<ModelConfig, int>("num_blocks", ValueKind.Int, r => r.NumBlocks, (r, v) => r with { NumBlocks = v }),
            F<ModelConfig, int>("num_classes", ValueKind.Int, r => r.NumClasses, (r, v) => r with { NumClasses = v }),
            F<ModelConfig, int>("in_channels", ValueKind.Int, r => r.InChannels, (r, v) => r with { InChannels = v }),
            F<ModelConfig, int>("image_size", ValueKind.Int, r => r.ImageSize, (r, v) => r with { ImageSize = v }),
            F<ModelConfig, double>("dropout", ValueKind.Double, r => r.Dropout, (r, v) => r with { Dropout = v }),
            F<ModelConfig, string?>("pretrained", ValueKind.NullableString, r => r.Pretrained, (r, v) => r with { Pretrained = v }),
            F<ModelConfig, IReadOnlyList<string>>("pretrained_skip", ValueKind.StringList, r => r.PretrainedSkip, (r, v) => r with { PretrainedSkip = v }),
            F<ModelConfig, string>("task", ValueKind.String, r => r.Task, (r, v) => r with { Task = v }),
            F<ModelConfig, string?>("hf_config", ValueKind.NullableString, r => r.HfConfig, (r, v) => r with { HfConfig = v }),
            F<ModelConfig, bool>("bias", ValueKind.Bool, r => r.Bias, (r, v) => r with { Bias = v }),
            F<ModelConfig, string>("init", ValueKind.String, r => r.Init, (r, v) => r with { Init = v })),
        Section<AdapterConfig>("adapter", c => c.Adapter, (c, s) => c with { Adapter = s },
            F<AdapterConfig, string>("method", ValueKind.String, r => r.Method, (r, v) => r with { Method = v }),
            F<AdapterConfig, int?>("r", ValueKind.NullableInt, r => r.R, (r, v) => r with { R = v }),
            F<AdapterConfig, double?>("lora_alpha", ValueKind.NullableDouble, r => r.LoraAlpha, (r, v) => r with { LoraAlpha = v }),
            F<AdapterConfig, double>("lora_dropout", ValueKind.Double, r => r.LoraDropout, (r, v) => r with { LoraDropout = v }),
            F<AdapterConfig, IReadOnlyList<string>>("target_modules", ValueKind.TargetList, r => r.TargetModules, (r, v) => r with { TargetModules = v }),
            F<AdapterConfig, string?>("target_regex", ValueKind.NullableString, r => r.TargetRegex, (r, v) => r with { TargetRegex = v }),
            F<AdapterConfig, IReadOnlyList<string>>("exclude_modules", ValueKind.StringList, r => r.ExcludeModules, (r, v) => r with { ExcludeModules = v }),
            F<AdapterConfig, string?>("exclude_regex", ValueKind.NullableString, r => r.ExcludeRegex, (r, v) => r with { ExcludeRegex = v }),
            F<AdapterConfig, IReadOnlyList<int>>("layers_to_transform", ValueKind.IntList, r => r.LayersToTransform, (r, v) => r with { LayersToTransform = v }),
            F<AdapterConfig, IReadOnlyList<string>>("layers_pattern", ValueKind.StringList, r => r.LayersPattern, (r, v) => r with { LayersPattern = v }),
            F<AdapterConfig, IReadOnlyList<string>>("modules_to_save", ValueKind.StringList, r => r.ModulesToSave, (r, v) => r with { ModulesToSave = v }),
            F<AdapterConfig, string>("bias", ValueKind.String, r => r.Bias, (r, v) => r with { Bias = v }),
            F<AdapterConfig, bool>("use_rslora", ValueKind.Bool, r => r.UseRslora, (r, v) => r with { UseRslora = v }),
            F<AdapterConfig, string>("init_lora_weights", ValueKind.String, r => r.InitLoraWeights, (r, v) => r with { InitLoraWeights = v }),
            F<AdapterConfig, IReadOnlyDictionary<string, int>>("rank_pattern", ValueKind.IntMap, r => r.RankPattern, (r, v) => r with { RankPattern = v }),
            F<AdapterConfig, IReadOnlyDictionary<string, double>>("alpha_pattern", ValueKind.DoubleMap, r => r.AlphaPattern, (r, v) => r with { AlphaPattern = v }),
            F<AdapterConfig, double>("init_std", ValueKind.Double, r => r.InitStd, (r, v) => r with { InitStd = v }),
            F<AdapterConfig, double>("svfit_threshold", ValueKind.Double, r => r.SvfitThreshold, (r, v) => r with { SvfitThreshold = v }),
            F<AdapterConfig, string>("svfit_criterion", ValueKind.String, r => r.SvfitCriterion, (r, v) => r with { SvfitCriterion = v }),
            F<AdapterConfig, int>("lora_sb_num_samples", ValueKind.Int, r => r.LoraSbNumSamples, (r, v) => r with { LoraSbNumSamples = v }),
            F<AdapterConfig, double>("randlora_alpha", ValueKind.Double, r => r.RandloraAlpha, (r, v) => r with { RandloraAlpha = v }),
            F<AdapterConfig, double>("randlora_dropout", ValueKind.Double, r => r.RandloraDropout, (r, v) => r with { RandloraDropout = v }),
            F<AdapterConfig, string>("randlora_scaling", ValueKind.String, r => r.RandloraScaling, (r, v) => r with { RandloraScaling = v }),
            F<AdapterConfig, int>("projection_prng_key", ValueKind.Int, r => r.ProjectionPrngKey, (r, v) => r with { ProjectionPrngKey = v }),
            F<AdapterConfig, bool>("save_projection", ValueKind.Bool, r => r.SaveProjection, (r, v) => r with { SaveProjection = v }),
            F<AdapterConfig, bool>("sparse", ValueKind.Bool, r => r.Sparse, (r, v) => r with { Sparse = v }),
            F<AdapterConfig, bool>("very_sparse", ValueKind.Bool, r => r.VerySparse, (r, v) => r with { VerySparse = v }),
            F<AdapterConfig, double>("lotr_scale", ValueKind.Double, r => r.LotrScale, (r, v) => r with { LotrScale = v }),
            F<AdapterConfig, string>("lotr_init", ValueKind.String, r => r.LotrInit, (r, v) => r with { LotrInit = v }),
            F<AdapterConfig, int?>("d", ValueKind.NullableInt, r => r.D, (r, v) => r with { D = v }),
            F<AdapterConfig, string>("projection", ValueKind.String, r => r.Projection, (r, v) => r with { Projection = v }),
            F<AdapterConfig, bool>("said", ValueKind.Bool, r => r.Said, (r, v) => r with { Said = v }),
            F<AdapterConfig, int?>("projection_seed", ValueKind.NullableInt, r => r.ProjectionSeed, (r, v) => r with { ProjectionSeed = v }),
            F<AdapterConfig, int>("max_projection_mb", ValueKind.Int, r => r.MaxProjectionMb, (r, v) => r with { MaxProjectionMb = v }),
            F<AdapterConfig, int?>("init_seed", ValueKind.NullableInt, r => r.InitSeed, (r, v) => r with { InitSeed = v })),
        Section<LossConfig>("loss", c => c.Loss, (c, s) => c with { Loss = s },
            F<LossConfig, string>("name", ValueKind.String, r => r.Name, (r, v) => r with { Name = v }),
            F<LossConfig, double>("label_smoothing", ValueKind.Double, r => r.LabelSmoothing, (r, v) => r with { LabelSmoothing = v }),
            F<LossConfig, string>("type", ValueKind.String, r => r.Type, (r, v) => r with { Type = v }),
            F<LossConfig, int>("ignore_index", ValueKind.Int, r => r.IgnoreIndex, (r, v) => r with { IgnoreIndex = v }),
            F<LossConfig, bool>("fused_linear_cross_entropy", ValueKind.Bool, r => r.FusedLinearCrossEntropy, (r, v) => r with { FusedLinearCrossEntropy = v }),
            F<LossConfig, double>("scale", ValueKind.Double, r => r.Scale, (r, v) => r with { Scale = v }),
            F<LossConfig, IReadOnlyList<int>>("matryoshka.dims", ValueKind.IntList, r => r.Matryoshka.Dims, (r, v) => r with { Matryoshka = r.Matryoshka with { Dims = v } }),
            F<LossConfig, IReadOnlyList<double>>("matryoshka.weights", ValueKind.DoubleList, r => r.Matryoshka.Weights, (r, v) => r with { Matryoshka = r.Matryoshka with { Weights = v } }),
            F<LossConfig, int>("matryoshka.dims_per_step", ValueKind.Int, r => r.Matryoshka.DimsPerStep, (r, v) => r with { Matryoshka = r.Matryoshka with { DimsPerStep = v } }),
            F<LossConfig, bool>("matryoshka.efficient", ValueKind.Bool, r => r.Matryoshka.Efficient, (r, v) => r with { Matryoshka = r.Matryoshka with { Efficient = v } }),
            F<LossConfig, int>("matryoshka_2d.n_layers_per_step", ValueKind.Int, r => r.Matryoshka2d.NLayersPerStep, (r, v) => r with { Matryoshka2d = r.Matryoshka2d with { NLayersPerStep = v } }),
            F<LossConfig, int>("matryoshka_2d.n_dims_per_step", ValueKind.Int, r => r.Matryoshka2d.NDimsPerStep, (r, v) => r with { Matryoshka2d = r.Matryoshka2d with { NDimsPerStep = v } }),
            F<LossConfig, double>("matryoshka_2d.last_layer_weight", ValueKind.Double, r => r.Matryoshka2d.LastLayerWeight, (r, v) => r with { Matryoshka2d = r.Matryoshka2d with { LastLayerWeight = v } }),
            F<LossConfig, double>("matryoshka_2d.prior_layers_weight", ValueKind.Double, r => r.Matryoshka2d.PriorLayersWeight, (r, v) => r with { Matryoshka2d = r.Matryoshka2d with { PriorLayersWeight = v } }),
            F<LossConfig, double>("matryoshka_2d.kl_div_weight", ValueKind.Double, r => r.Matryoshka2d.KlDivWeight, (r, v) => r with { Matryoshka2d = r.Matryoshka2d with { KlDivWeight = v } }),
            F<LossConfig, double>("matryoshka_2d.kl_temperature", ValueKind.Double, r => r.Matryoshka2d.KlTemperature, (r, v) => r with { Matryoshka2d = r.Matryoshka2d with { KlTemperature = v } }),
            F<LossConfig, IReadOnlyList<int>>("starbucks.layers", ValueKind.IntList, r => r.Starbucks.Layers, (r, v) => r with { Starbucks = r.Starbucks with { Layers = v } }),
            F<LossConfig, IReadOnlyList<int>>("starbucks.dims", ValueKind.IntList, r => r.Starbucks.Dims, (r, v) => r with { Starbucks = r.Starbucks with { Dims = v } }),
            F<LossConfig, IReadOnlyList<double>>("starbucks.weights", ValueKind.DoubleList, r => r.Starbucks.Weights, (r, v) => r with { Starbucks = r.Starbucks with { Weights = v } }),
            F<LossConfig, double>("starbucks.kl_div_weight", ValueKind.Double, r => r.Starbucks.KlDivWeight, (r, v) => r with { Starbucks = r.Starbucks with { KlDivWeight = v } }),
            F<LossConfig, double>("starbucks.kl_temperature", ValueKind.Double, r => r.Starbucks.KlTemperature, (r, v) => r with { Starbucks = r.Starbucks with { KlTemperature = v } })),
        Section<DataConfig>("data", c => c.Data, (c, s) => c with { Data = s },
            F<DataConfig, string>("dataset", ValueKind.String, r => r.Dataset, (r, v) => r with { Dataset = v }),
            F<DataConfig, string?>("path", ValueKind.NullableString, r => r.Path, (r, v) => r with { Path = v }),
            F<DataConfig, string?>("eval_path", ValueKind.NullableString, r => r.EvalPath, (r, v) => r with { EvalPath = v }),
            F<DataConfig, bool>("normalize", ValueKind.Bool, r => r.Normalize, (r, v) => r with { Normalize = v }),
            F<DataConfig, IReadOnlyList<string>>("feature_columns", ValueKind.StringList, r => r.FeatureColumns, (r, v) => r with { FeatureColumns = v }),
            F<DataConfig, string?>("label_column", ValueKind.NullableString, r => r.LabelColumn, (r, v) => r with { LabelColumn = v }),
            F<DataConfig, bool>("shuffle", ValueKind.Bool, r => r.Shuffle, (r, v) => r with { Shuffle = v }),
            F<DataConfig, bool>("drop_last", ValueKind.Bool, r => r.DropLast, (r, v) => r with { DropLast = v }),
            F<DataConfig, IReadOnlyList<int>>("classes", ValueKind.IntList, r => r.Classes, (r, v) => r with { Classes = v }),
            F<DataConfig, int?>("max_samples", ValueKind.NullableInt, r => r.MaxSamples, (r, v) => r with { MaxSamples = v }),
            F<DataConfig, int?>("max_eval_samples", ValueKind.NullableInt, r => r.MaxEvalSamples, (r, v) => r with { MaxEvalSamples = v }),
            F<DataConfig, string>("transform", ValueKind.String, r => r.Transform, (r, v) => r with { Transform = v }),
            F<DataConfig, int>("transform_seed", ValueKind.Int, r => r.TransformSeed, (r, v) => r with { TransformSeed = v }),
            F<DataConfig, string?>("tokenizer", ValueKind.NullableString, r => r.Tokenizer, (r, v) => r with { Tokenizer = v }),
            F<DataConfig, string>("text_field", ValueKind.String, r => r.TextField, (r, v) => r with { TextField = v }),
            F<DataConfig, string>("label_field", ValueKind.String, r => r.LabelField, (r, v) => r with { LabelField = v }),
            F<DataConfig, IReadOnlyList<string>>("label_names", ValueKind.StringList, r => r.LabelNames, (r, v) => r with { LabelNames = v }),
            F<DataConfig, int>("max_length", ValueKind.Int, r => r.MaxLength, (r, v) => r with { MaxLength = v }),
            F<DataConfig, bool>("add_special_tokens", ValueKind.Bool, r => r.AddSpecialTokens, (r, v) => r with { AddSpecialTokens = v }),
            F<DataConfig, int?>("pad_token_id", ValueKind.NullableInt, r => r.PadTokenId, (r, v) => r with { PadTokenId = v }),
            F<DataConfig, int?>("eos_token_id", ValueKind.NullableInt, r => r.EosTokenId, (r, v) => r with { EosTokenId = v }),
            F<DataConfig, int>("block_size", ValueKind.Int, r => r.BlockSize, (r, v) => r with { BlockSize = v }),
            F<DataConfig, double>("test_fraction", ValueKind.Double, r => r.TestFraction, (r, v) => r with { TestFraction = v }),
            F<DataConfig, int>("split_seed", ValueKind.Int, r => r.SplitSeed, (r, v) => r with { SplitSeed = v }),
            F<DataConfig, int>("synthetic_dim", ValueKind.Int, r => r.SyntheticDim, (r, v) => r with { SyntheticDim = v }),
            F<DataConfig, string>("synthetic_target", ValueKind.String, r => r.SyntheticTarget, (r, v) => r with { SyntheticTarget = v }),
            F<DataConfig, int>("synthetic_seed", ValueKind.Int, r => r.SyntheticSeed, (r, v) => r with { SyntheticSeed = v })),
        Section<TrainConfig>("train", c => c.Train, (c, s) => c with { Train = s },
            F<TrainConfig, string>("output_dir", ValueKind.String, r => r.OutputDir, (r, v) => r with { OutputDir = v }),
            F<TrainConfig, string?>("run_name", ValueKind.NullableString, r => r.RunName, (r, v) => r with { RunName = v }),
            F<TrainConfig, double>("num_train_epochs", ValueKind.Double, r => r.NumTrainEpochs, (r, v) => r with { NumTrainEpochs = v }),
            F<TrainConfig, int>("max_steps", ValueKind.Int, r => r.MaxSteps, (r, v) => r with { MaxSteps = v }),
            F<TrainConfig, int>("per_device_train_batch_size", ValueKind.Int, r => r.PerDeviceTrainBatchSize, (r, v) => r with { PerDeviceTrainBatchSize = v }),
            F<TrainConfig, int>("gradient_accumulation_steps", ValueKind.Int, r => r.GradientAccumulationSteps, (r, v) => r with { GradientAccumulationSteps = v }),
            F<TrainConfig, double>("learning_rate", ValueKind.Double, r => r.LearningRate, (r, v) => r with { LearningRate = v }),
            F<TrainConfig, double>("weight_decay", ValueKind.Double, r => r.WeightDecay, (r, v) => r with { WeightDecay = v }),
            F<TrainConfig, string>("optim", ValueKind.String, r => r.Optim, (r, v) => r with { Optim = v }),
            F<TrainConfig, double>("adam_beta1", ValueKind.Double, r => r.AdamBeta1, (r, v) => r with { AdamBeta1 = v }),
            F<TrainConfig, double>("adam_beta2", ValueKind.Double, r => r.AdamBeta2, (r, v) => r with { AdamBeta2 = v }),
            F<TrainConfig, double>("adam_epsilon", ValueKind.Double, r => r.AdamEpsilon, (r, v) => r with { AdamEpsilon = v }),
            F<TrainConfig, double>("momentum", ValueKind.Double, r => r.Momentum, (r, v) => r with { Momentum = v }),
            F<TrainConfig, bool>("nesterov", ValueKind.Bool, r => r.Nesterov, (r, v) => r with { Nesterov = v }),
            F<TrainConfig, double>("max_grad_norm", ValueKind.Double, r => r.MaxGradNorm, (r, v) => r with { MaxGradNorm = v }),
            F<TrainConfig, string>("lr_scheduler_type", ValueKind.String, r => r.LrSchedulerType, (r, v) => r with { LrSchedulerType = v }),
            F<TrainConfig, int>("warmup_steps", ValueKind.Int, r => r.WarmupSteps, (r, v) => r with { WarmupSteps = v }),
            F<TrainConfig, double>("warmup_ratio", ValueKind.Double, r => r.WarmupRatio, (r, v) => r with { WarmupRatio = v }),
            F<TrainConfig, int>("seed", ValueKind.Int, r => r.Seed, (r, v) => r with { Seed = v }),
            F<TrainConfig, int?>("data_seed", ValueKind.NullableInt, r => r.DataSeed, (r, v) => r with { DataSeed = v }),
            F<TrainConfig, string>("device", ValueKind.String, r => r.Device, (r, v) => r with { Device = v }),
            F<TrainConfig, int?>("empty_cache_steps", ValueKind.NullableInt, r => r.EmptyCacheSteps, (r, v) => r with { EmptyCacheSteps = v }),
            F<TrainConfig, int?>("num_threads", ValueKind.NullableInt, r => r.NumThreads, (r, v) => r with { NumThreads = v }),
            F<TrainConfig, string?>("resume_from_checkpoint", ValueKind.NullableString, r => r.ResumeFromCheckpoint, (r, v) => r with { ResumeFromCheckpoint = v }),
            F<TrainConfig, string>("on_nonfinite", ValueKind.String, r => r.OnNonfinite, (r, v) => r with { OnNonfinite = v }),
            F<TrainConfig, int>("max_skipped_steps", ValueKind.Int, r => r.MaxSkippedSteps, (r, v) => r with { MaxSkippedSteps = v }),
            F<TrainConfig, int>("ddp_timeout", ValueKind.Int, r => r.DdpTimeout, (r, v) => r with { DdpTimeout = v }),
            F<TrainConfig, string>("dtype", ValueKind.String, r => r.Dtype, (r, v) => r with { Dtype = v }),
            F<TrainConfig, bool>("tf32", ValueKind.Bool, r => r.Tf32, (r, v) => r with { Tf32 = v }),
            F<TrainConfig, bool>("full_determinism", ValueKind.Bool, r => r.FullDeterminism, (r, v) => r with { FullDeterminism = v })),
        Section<EvalConfig>("eval", c => c.Eval, (c, s) => c with { Eval = s },
            F<EvalConfig, string>("eval_strategy", ValueKind.String, r => r.EvalStrategy, (r, v) => r with { EvalStrategy = v }),
            F<EvalConfig, int>("eval_steps", ValueKind.Int, r => r.EvalSteps, (r, v) => r with { EvalSteps = v }),
            F<EvalConfig, int>("per_device_eval_batch_size", ValueKind.Int, r => r.PerDeviceEvalBatchSize, (r, v) => r with { PerDeviceEvalBatchSize = v })),
        Section<CheckpointConfig>("checkpoint", c => c.Checkpoint, (c, s) => c with { Checkpoint = s },
            F<CheckpointConfig, string>("save_strategy", ValueKind.String, r => r.SaveStrategy, (r, v) => r with { SaveStrategy = v }),
            F<CheckpointConfig, int>("save_steps", ValueKind.Int, r => r.SaveSteps, (r, v) => r with { SaveSteps = v }),
            F<CheckpointConfig, int?>("save_total_limit", ValueKind.NullableInt, r => r.SaveTotalLimit, (r, v) => r with { SaveTotalLimit = v })),
        Section<LoggingConfig>("logging", c => c.Logging, (c, s) => c with { Logging = s },
            F<LoggingConfig, int>("logging_steps", ValueKind.Int, r => r.LoggingSteps, (r, v) => r with { LoggingSteps = v }),
            F<LoggingConfig, bool>("logging_first_step", ValueKind.Bool, r => r.LoggingFirstStep, (r, v) => r with { LoggingFirstStep = v }),
            F<LoggingConfig, IReadOnlyList<string>>("report_to", ValueKind.StringList, r => r.ReportTo, (r, v) => r with { ReportTo = v })),
    ];

    /// <summary>Every top-level key, for did-you-mean.</summary>
    public static IReadOnlyList<string> TopLevelKeys { get; } = [NameKey, BaseKey, .. Sections.Select(s => s.Key)];

    /// <summary>
    /// Spellings other tools use (torchtune, axolotl, LitGPT, older HF), offered as "did you mean"
    /// when a key is unknown. They are never accepted silently.
    /// </summary>
    public static IReadOnlyDictionary<string, string> OtherToolNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["train.lr"] = "train.learning_rate",
        ["train.batch_size"] = "train.per_device_train_batch_size",
        ["train.micro_batch_size"] = "train.per_device_train_batch_size",
        ["train.epochs"] = "train.num_train_epochs",
        ["train.num_epochs"] = "train.num_train_epochs",
        ["train.optimizer"] = "train.optim",
        ["train.lr_scheduler"] = "train.lr_scheduler_type",
        ["train.clip_grad_norm"] = "train.max_grad_norm",
        ["train.num_warmup_steps"] = "train.warmup_steps",
        ["eval.evaluation_strategy"] = "eval.eval_strategy",
        ["eval.batch_size"] = "eval.per_device_eval_batch_size",
        ["logging.log_every_n_steps"] = "logging.logging_steps",
        ["adapter.peft_type"] = "adapter.method",
        ["adapter.rank"] = "adapter.r",
        ["adapter.lora_r"] = "adapter.r",
        ["adapter.lora_rank"] = "adapter.r",
        ["adapter.alpha"] = "adapter.lora_alpha",
        ["adapter.dropout"] = "adapter.lora_dropout",
        ["adapter.lora_target_modules"] = "adapter.target_modules",
        ["adapter.lora_modules_to_save"] = "adapter.modules_to_save",
        ["adapter.lora_rank_pattern"] = "adapter.rank_pattern",
        ["data.max_seq_length"] = "data.max_length",
        ["data.sequence_len"] = "data.block_size",
        ["data.seq_len"] = "data.block_size",
        ["data.tokenizer_path"] = "data.tokenizer",
    };

    public static SectionSpec? Section(string key) => Sections.FirstOrDefault(s => s.Key == key);

    private static SectionSpec Section<T>(string key, Func<ExperimentConfig, T> get, Func<ExperimentConfig, T, ExperimentConfig> set, params FieldSpec[] fields)
        where T : class =>
        new(key, c => get(c), (c, s) => set(c, (T)s), fields);

    private static FieldSpec F<T, TValue>(string key, ValueKind kind, Func<T, TValue> get, Func<T, TValue, T> set)
        where T : class =>
        new(key, kind, r => get((T)r), (r, v) => set((T)r, (TValue)v!));
}
