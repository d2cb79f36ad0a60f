namespace LowRankTrainer.Config;

/// <summary>
/// The <c>adapter</c> section, with PEFT's <c>LoraConfig</c> key names (snake_case in YAML). With method
/// <c>none</c> the model trains in full, or only <see cref="ModulesToSave"/> on a frozen base; with a
/// registered method (<c>lora</c>, …) the adapter is injected into the frozen base
/// (<see cref="AdapterConfigMapper"/> turns this section into the method's options).
/// </summary>
public sealed record AdapterConfig
{
    /// <summary><c>none</c>, or the name of a method in <see cref="Adapters.AdapterRegistry"/> (<c>lora</c>, …).</summary>
    public string Method { get; init; } = "none";

    /// <summary>
    /// The rank r (PEFT <c>r</c>). Null (the default) is the method's default: 8 for <c>lora</c> and <c>lora_xs</c>;
    /// 8 for <c>lora_sb</c> and <c>lotr</c>; 32 for <c>randlora</c> (its base rank: a larger r means fewer bases); for <c>svfit</c> a given r is a fixed rank for every target and null chooses r per matrix by <see cref="SvfitThreshold"/>.
    /// </summary>
    public int? R { get; init; }

    /// <summary>
    /// α (PEFT <c>lora_alpha</c>). LoRA scales its branch by α/r, or α/√r with <see cref="UseRslora"/>; LoRA-XS by α/r.
    /// Null (the default) is the method's default: 8 for <c>lora</c> (PEFT's), α = r (scale 1) for <c>lora_xs</c>.
    /// </summary>
    public double? LoraAlpha { get; init; }

    /// <summary>Dropout on the adapter branch's input only, in [0, 1) (PEFT <c>lora_dropout</c>).</summary>
    public double LoraDropout { get; init; }

    /// <summary>
    /// Module-name suffixes to adapt (PEFT's list rule: equal, or ending in "." + entry), or the string
    /// <c>all-linear</c> (every Linear but the output head), stored as <c>["all-linear"]</c>, or <c>all</c> (every Linear,
    /// the head included, and every Conv2d for a method that adapts convolutions: intrinsic). Required with a method.
    /// </summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [];

    /// <summary>A regular expression that must match a whole module name (PEFT's string form of <c>target_modules</c>); use instead of <see cref="TargetModules"/>.</summary>
    public string? TargetRegex { get; init; }

    /// <summary>Modules never adapted, matched like <see cref="TargetModules"/> (PEFT <c>exclude_modules</c>).</summary>
    public IReadOnlyList<string> ExcludeModules { get; init; } = [];

    /// <summary>A full-match regular expression of modules never adapted (PEFT's string form of <c>exclude_modules</c>).</summary>
    public string? ExcludeRegex { get; init; }

    /// <summary>Layer indices whose list-matched targets are adapted (PEFT <c>layers_to_transform</c>); empty: all layers.</summary>
    public IReadOnlyList<int> LayersToTransform { get; init; } = [];

    /// <summary>Names of the layer list those indices count in (PEFT <c>layers_pattern</c>, e.g. <c>[layers]</c>); empty: any.</summary>
    public IReadOnlyList<string> LayersPattern { get; init; } = [];

    /// <summary>
    /// Modules trained in full while the rest of the model is frozen (PEFT's <c>modules_to_save</c>,
    /// e.g. a classification head). Empty with method <c>none</c> means full fine-tuning.
    /// </summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>Which base biases train: <c>none</c>, <c>all</c>, or <c>&lt;method&gt;_only</c> such as <c>lora_only</c> (PEFT <c>bias</c>).</summary>
    public string Bias { get; init; } = "none";

    /// <summary>rsLoRA: scale by α/√r instead of α/r (PEFT <c>use_rslora</c>).</summary>
    public bool UseRslora { get; init; }

    /// <summary>How LoRA's A is drawn: <c>true</c> (kaiming-uniform, PEFT's default) or <c>gaussian</c> (PEFT <c>init_lora_weights</c>).</summary>
    public string InitLoraWeights { get; init; } = "true";

    /// <summary>Per-module ranks, regex key → r, matched at the end of the module name (PEFT <c>rank_pattern</c>).</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>Per-module α, regex key → α (PEFT <c>alpha_pattern</c>).</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary><c>lora_xs</c> only: the standard deviation of R's Gaussian init, R ~ N(0, std²) (default 1e-5; 0 gives R = 0).</summary>
    public double InitStd { get; init; } = 1e-5;

    /// <summary><c>svfit</c> only, when <see cref="R"/> is null: the share of the spectrum the kept singular values must reach, in (0, 1] (default 0.99).</summary>
    public double SvfitThreshold { get; init; } = 0.99;

    /// <summary><c>svfit</c> only: how that share is measured, <c>energy</c> (Σσ², the default) or <c>sum</c> (Σσ).</summary>
    public string SvfitCriterion { get; init; } = "energy";

    /// <summary><c>lora_sb</c> only: how many training samples (from the start of a separately seeded pass over the training set) LoRA-SB's gradient estimate sums over (default 64).</summary>
    public int LoraSbNumSamples { get; init; } = 64;

    /// <summary><c>randlora</c> only: α of the PEFT scaling α/r (PEFT <c>randlora_alpha</c>, default 640).</summary>
    public double RandloraAlpha { get; init; } = 640;

    /// <summary><c>randlora</c> only: dropout on the branch's input, in [0, 1) (PEFT <c>randlora_dropout</c>).</summary>
    public double RandloraDropout { get; init; }

    /// <summary><c>randlora</c> only: <c>peft</c> (s = randlora_alpha/r, the default) or <c>paper</c> (s = 2/√n, the paper's App. C.4).</summary>
    public string RandloraScaling { get; init; } = "peft";

    /// <summary><c>randlora</c> only: seed of the shared random bases (PEFT <c>projection_prng_key</c>, default 0).</summary>
    public int ProjectionPrngKey { get; init; }

    /// <summary><c>randlora</c> only: store the shared bases in the adapter checkpoint (PEFT <c>save_projection</c>, default true); false regenerates them from the key.</summary>
    public bool SaveProjection { get; init; } = true;

    /// <summary><c>randlora</c> only: ternary bases, P(±1) = 1/6 each (PEFT <c>sparse</c>).</summary>
    public bool Sparse { get; init; }

    /// <summary><c>randlora</c> only: ternary bases, P(±1) = 1/(2√m) each (PEFT <c>very_sparse</c>).</summary>
    public bool VerySparse { get; init; }

    /// <summary><c>lotr</c> only: the reference's <c>scale</c>; the branch is multiplied by scale/r (default 1).</summary>
    public double LotrScale { get; init; } = 1;

    /// <summary><c>lotr</c> only: how the shared A, B are drawn, <c>normal</c> (N(0,1), the reference's default) or <c>scaled</c> (N(0,1)/√d).</summary>
    public string LotrInit { get; init; } = "normal";

    /// <summary><c>intrinsic</c> only: the intrinsic dimension d, the number of trainable values (null: 1000).</summary>
    public int? D { get; init; }

    /// <summary><c>intrinsic</c> only: the random projection, <c>fastfood</c> (the default), <c>dense</c> or <c>sparse</c>.</summary>
    public string Projection { get; init; } = "fastfood";

    /// <summary><c>intrinsic</c> only: SAID (one trainable scale per parameter tensor, counted within d) instead of DID.</summary>
    public bool Said { get; init; }

    /// <summary><c>intrinsic</c>: the seed P is drawn from (null: <see cref="InitSeed"/>, then <c>train.seed</c>); saved in adapter_config.json. <c>randlora</c>: the seed of the shared bases, the same as PEFT's <c>projection_prng_key</c>.</summary>
    public int? ProjectionSeed { get; init; }

    /// <summary><c>intrinsic</c> only: the memory a stored (dense or sparse) projection may take, in MiB (default 256); more is refused.</summary>
    public int MaxProjectionMb { get; init; } = 256;

    /// <summary>Seed of the adapter's initialisation; null: <c>train.seed</c>.</summary>
    public int? InitSeed { get; init; }
}
