using System.Text.Json.Nodes;
using LowRankTrainer.Adapters.LoraXs;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.SvFit;

/// <summary>
/// SVFit (Sun, Wei et al. 2024, "SVFit: Parameter-Efficient Fine-Tuning of Large Pre-Trained Models Using
/// Singular Values", arXiv 2409.05926): wraps each target in an <see cref="SvFitLinear"/> that trains only the
/// top-r singular values of W₀ (W = U_r diag(σ) V_rᵀ + W_e, σ⁰ = Σ_r), r fixed or chosen per matrix by a
/// spectrum-share threshold; Σ r_layer trainable values in all. PEFT has no such type, so <c>peft_type</c> is
/// <c>SVFIT</c>; config keys <c>r</c> (null: by threshold), <c>threshold</c>, <c>criterion</c>.
/// </summary>
public sealed class SvFitMethod : IAdapterMethod
{
    /// <inheritdoc/>
    public string Name => "svfit";

    /// <inheritdoc/>
    public string PeftType => "SVFIT";

    /// <inheritdoc/>
    public Type OptionsType => typeof(SvFitOptions);

    /// <inheritdoc/>
    public AdapterOptions DefaultOptions { get; } = new SvFitOptions();

    /// <summary>The rank each SVFit layer of <paramref name="adapted"/> kept, by module name, in module order (Σ = the trainable count of the adapter).</summary>
    public static IReadOnlyList<(string Name, int Rank)> Ranks(AdapterModel adapted)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        return adapted.Layers.Where(l => l.Layer is SvFitLinear).Select(l => (l.Name, ((SvFitLinear)l.Layer).Rank)).ToList();
    }

    /// <inheritdoc/>
    public AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var o = options as SvFitOptions ?? throw new ArgumentException($"SVFit takes {nameof(SvFitOptions)}", nameof(options));
        if (o.R is < 1) throw new ArgumentOutOfRangeException(nameof(options), o.R, "SVFit r must be at least 1");
        var layers = new List<AdapterLayer>();
        var chosen = new Dictionary<string, int>(StringComparer.Ordinal);
        // int? values so that "no pattern matches" (null) falls through to R, then to the threshold.
        var pattern = o.RankPattern.ToDictionary(e => e.Key, e => (int?)e.Value, StringComparer.Ordinal);
        foreach (var t in targets)
        {
            var m = (int)Math.Min(t.Layer.InFeatures, t.Layer.OutFeatures);
            var rank = PatternLookup.Resolve(pattern, t.Name, null) ?? o.R;
            if (rank is < 1) throw new ArgumentOutOfRangeException(nameof(options), rank, $"SVFit rank_pattern gives '{t.Name}' r = {rank}; r must be at least 1");
            var r = rank is { } fixedRank ? Math.Min(fixedRank, m) : RankByThreshold(t.Layer.Weight.Value, o);
            layers.Add(new SvFitLinear(t.Layer, r));
            chosen[t.Name] = r;
        }
        // Full names as keys: PEFT's (.*\.)?(key)$ rule matches each of them exactly (or a nested copy of the same path).
        return new AdapterInjection(layers, [], o with { RankPattern = chosen });
    }

    private static int RankByThreshold(Tensor weight, SvFitOptions o)
    {
        using var scope = new DisposeScope();
        var (_, s, _) = TruncatedSvd.Full(weight);
        return SvFitOptions.RankFor(s.To(Device.Cpu).ToArray<double>(), o.Threshold, o.Criterion);
    }

    /// <inheritdoc/>
    public void WriteConfig(AdapterOptions options, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (SvFitOptions)options;
        config["r"] = o.R is { } r ? JsonValue.Create(r) : null;
        config["threshold"] = o.Threshold;
        config["criterion"] = o.Criterion == SvFitCriterion.Energy ? "energy" : "sum";
        config["rank_pattern"] = PeftConfigJson.Pattern(o.RankPattern) ?? new JsonObject();
    }

    /// <inheritdoc/>
    public AdapterOptions ReadConfig(JsonObject config, AdapterOptions common)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (SvFitOptions)common;
        if (config["r"] is { } r) o = o with { R = r.GetValue<int>() };
        if (config["threshold"] is { } t) o = o with { Threshold = t.GetValue<double>() };
        o = o with { RankPattern = PeftConfigJson.ReadPattern<int>(config["rank_pattern"]) };
        return config["criterion"]?.GetValue<string>() switch
        {
            null => o,
            "energy" => o with { Criterion = SvFitCriterion.Energy },
            "sum" => o with { Criterion = SvFitCriterion.Sum },
            var c => throw new NotSupportedException($"SVFit criterion '{c}' is not supported (\"energy\" or \"sum\")"),
        };
    }
}
