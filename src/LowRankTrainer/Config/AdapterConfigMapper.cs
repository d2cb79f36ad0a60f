using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Intrinsic;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.LoraSb;
using LowRankTrainer.Adapters.LoraXs;
using LowRankTrainer.Adapters.Lotr;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Adapters.SvFit;

namespace LowRankTrainer.Config;

/// <summary>
/// The one place that turns the <c>adapter</c> section into a method's options record: the shared targeting keys
/// go into <see cref="AdapterOptions"/>, and <see cref="MethodKeys"/> says, per method, which method-specific keys
/// it reads and how they set its options (<see cref="LoraOptions"/>, <see cref="LoraXsOptions"/>, <see cref="SvFitOptions"/>).
/// A method-specific key not in a method's row must stay at its default (<see cref="ConfigValidator"/>).
/// </summary>
public static class AdapterConfigMapper
{
    /// <summary>The method name that means "no adapter".</summary>
    public const string None = "none";

    /// <summary>How one method reads the section: the method-specific keys it takes, and how they set its options.</summary>
    private sealed record MethodRow(IReadOnlySet<string> Keys, Func<AdapterOptions, AdapterConfig, AdapterOptions> Apply);

    /// <summary>Every method-specific key (not targeting, bias or init_seed), with whether it is at its default in a section.</summary>
    private static readonly (string Key, Func<AdapterConfig, bool> IsSet)[] SpecificKeys =
    [
        ("r", a => a.R is not null),
        ("lora_alpha", a => a.LoraAlpha is not null),
        ("lora_dropout", a => a.LoraDropout != 0),
        ("use_rslora", a => a.UseRslora),
        ("init_lora_weights", a => a.InitLoraWeights != "true"),
        ("rank_pattern", a => a.RankPattern.Count > 0),
        ("alpha_pattern", a => a.AlphaPattern.Count > 0),
        ("init_std", a => a.InitStd != 1e-5),
        ("svfit_threshold", a => a.SvfitThreshold != 0.99),
        ("svfit_criterion", a => a.SvfitCriterion != "energy"),
        ("lora_sb_num_samples", a => a.LoraSbNumSamples != 64),
        ("randlora_alpha", a => a.RandloraAlpha != 640),
        ("randlora_dropout", a => a.RandloraDropout != 0),
        ("randlora_scaling", a => a.RandloraScaling != "peft"),
        ("projection_prng_key", a => a.ProjectionPrngKey != 0),
        ("save_projection", a => !a.SaveProjection),
        ("sparse", a => a.Sparse),
        ("very_sparse", a => a.VerySparse),
        ("lotr_scale", a => a.LotrScale != 1),
        ("lotr_init", a => a.LotrInit != "normal"),
        ("d", a => a.D is not null),
        ("projection", a => a.Projection != "fastfood"),
        ("said", a => a.Said),
        ("projection_seed", a => a.ProjectionSeed is not null),
        ("max_projection_mb", a => a.MaxProjectionMb != 256),
    ];

    /// <summary>The per-method table: method name → the method-specific keys it takes and how they map.</summary>
    private static readonly Dictionary<string, MethodRow> MethodKeys = new(StringComparer.Ordinal)
    {
        ["lora"] = new(
            new HashSet<string>(StringComparer.Ordinal) { "r", "lora_alpha", "lora_dropout", "use_rslora", "init_lora_weights", "rank_pattern", "alpha_pattern" },
            (o, a) => (LoraOptions)o with
            {
                R = a.R ?? ((LoraOptions)o).R,
                Alpha = a.LoraAlpha ?? ((LoraOptions)o).Alpha,
                Dropout = a.LoraDropout,
                UseRsLora = a.UseRslora,
                Init = a.InitLoraWeights switch
                {
                    "true" => LoraInit.KaimingUniform,
                    "gaussian" => LoraInit.Gaussian,
                    var i => throw new ArgumentException($"adapter.init_lora_weights must be true or gaussian (got '{i}')", nameof(a)),
                },
                RankPattern = new Dictionary<string, int>(a.RankPattern, StringComparer.Ordinal),
                AlphaPattern = new Dictionary<string, double>(a.AlphaPattern, StringComparer.Ordinal),
            }),
        ["lora_xs"] = new(
            new HashSet<string>(StringComparer.Ordinal) { "r", "lora_alpha", "init_std", "rank_pattern" },
            (o, a) => (LoraXsOptions)o with
            {
                R = a.R ?? ((LoraXsOptions)o).R,
                Alpha = a.LoraAlpha,
                InitStd = a.InitStd,
                RankPattern = new Dictionary<string, int>(a.RankPattern, StringComparer.Ordinal),
            }),
        ["svfit"] = new(
            new HashSet<string>(StringComparer.Ordinal) { "r", "svfit_threshold", "svfit_criterion", "rank_pattern" },
            (o, a) => (SvFitOptions)o with
            {
                R = a.R,
                RankPattern = new Dictionary<string, int>(a.RankPattern, StringComparer.Ordinal),
                Threshold = a.SvfitThreshold,
                Criterion = a.SvfitCriterion switch
                {
                    "energy" => SvFitCriterion.Energy,
                    "sum" => SvFitCriterion.Sum,
                    var c => throw new ArgumentException($"adapter.svfit_criterion must be energy or sum (got '{c}')", nameof(a)),
                },
            }),
        ["lora_sb"] = new(
            new HashSet<string>(StringComparer.Ordinal) { "r", "lora_sb_num_samples" },
            (o, a) => (LoraSbOptions)o with { R = a.R ?? ((LoraSbOptions)o).R, NumSamples = a.LoraSbNumSamples }),
        ["randlora"] = new(
            new HashSet<string>(StringComparer.Ordinal) { "r", "randlora_alpha", "randlora_dropout", "randlora_scaling", "projection_prng_key", "projection_seed", "save_projection", "sparse", "very_sparse" },
            (o, a) => (RandLoraOptions)o with
            {
                R = a.R ?? ((RandLoraOptions)o).R,
                Alpha = a.RandloraAlpha,
                Dropout = a.RandloraDropout,
                Scaling = a.RandloraScaling switch
                {
                    "peft" => RandLoraScaling.Peft,
                    "paper" => RandLoraScaling.Paper,
                    var v => throw new ArgumentException($"adapter.randlora_scaling must be peft or paper (got '{v}')", nameof(a)),
                },
                // projection_seed (the name intrinsic uses too) or PEFT's projection_prng_key; the validator refuses both at once.
                ProjectionPrngKey = (a.ProjectionSeed ?? a.ProjectionPrngKey) is var key and >= 0 ? (ulong)key
                    : throw new ArgumentException($"adapter.projection_prng_key / projection_seed must be non-negative (got {a.ProjectionSeed ?? a.ProjectionPrngKey})", nameof(a)),
                SaveProjection = a.SaveProjection,
                Sparse = a.Sparse,
                VerySparse = a.VerySparse,
            }),
        ["lotr"] = new(
            new HashSet<string>(StringComparer.Ordinal) { "r", "lotr_scale", "lotr_init" },
            (o, a) => (LotrOptions)o with
            {
                R = a.R ?? ((LotrOptions)o).R,
                Scale = a.LotrScale,
                Init = a.LotrInit switch
                {
                    "normal" => LotrInit.Normal,
                    "scaled" => LotrInit.Scaled,
                    var v => throw new ArgumentException($"adapter.lotr_init must be normal or scaled (got '{v}')", nameof(a)),
                },
            }),
        ["intrinsic"] = new(
            new HashSet<string>(StringComparer.Ordinal) { "d", "projection", "said", "projection_seed", "max_projection_mb" },
            (o, a) => (IntrinsicOptions)o with
            {
                D = a.D ?? ((IntrinsicOptions)o).D,
                Projection = IntrinsicMethod.ParseProjection(a.Projection),
                Said = a.Said,
                ProjectionSeed = a.ProjectionSeed is { } s ? unchecked((ulong)s) : null,
                MaxProjectionMb = a.MaxProjectionMb,
            }),
    };

    /// <summary>The options for <paramref name="adapter"/>'s method, or null for method <c>none</c>.</summary>
    /// <param name="adapter">The section.</param>
    /// <param name="trainSeed"><c>train.seed</c>, the default of <c>adapter.init_seed</c>.</param>
    /// <exception cref="ArgumentException">The method is not registered, or <c>bias</c> or a method key has an unknown value.</exception>
    public static AdapterOptions? ToOptions(AdapterConfig adapter, int trainSeed)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        if (string.Equals(adapter.Method, None, StringComparison.Ordinal)) return null;
        var method = AdapterRegistry.Get(adapter.Method);
        var bias = adapter.Bias switch
        {
            "none" => AdapterBias.None,
            "all" => AdapterBias.All,
            var b when b == method.Name + "_only" => AdapterBias.AdapterOnly,
            var b => throw new ArgumentException($"adapter.bias must be none, all or {method.Name}_only (got '{b}')", nameof(adapter)),
        };
        var options = method.DefaultOptions with
        {
            TargetModules = adapter.TargetModules.ToArray(),
            TargetRegex = adapter.TargetRegex,
            ExcludeModules = adapter.ExcludeModules.ToArray(),
            ExcludeRegex = adapter.ExcludeRegex,
            LayersToTransform = adapter.LayersToTransform.ToArray(),
            LayersPattern = adapter.LayersPattern.ToArray(),
            ModulesToSave = adapter.ModulesToSave.ToArray(),
            Bias = bias,
            InitSeed = unchecked((ulong)(adapter.InitSeed ?? trainSeed)),
        };
        return MethodKeys.TryGetValue(method.Name, out var row) ? row.Apply(options, adapter) : options;
    }

    /// <summary>The method-specific keys (<c>r</c>, <c>lora_alpha</c>, <c>svfit_threshold</c>, …) <paramref name="method"/> takes; none for <c>none</c> or a method without a row.</summary>
    public static IReadOnlySet<string> KeysOf(string method) =>
        MethodKeys.TryGetValue(method, out var row) ? row.Keys : new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The method-specific keys set away from their defaults in <paramref name="adapter"/> that its method does not take (sorted by writing order).</summary>
    public static IReadOnlyList<string> KeysNotValidFor(AdapterConfig adapter)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        var keys = KeysOf(adapter.Method);
        return SpecificKeys.Where(k => k.IsSet(adapter) && !keys.Contains(k.Key)).Select(k => k.Key).ToArray();
    }

    /// <summary>The methods that take <paramref name="key"/>, for messages.</summary>
    public static IReadOnlyList<string> MethodsTaking(string key) =>
        MethodKeys.Where(kv => kv.Value.Keys.Contains(key)).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToArray();
}
