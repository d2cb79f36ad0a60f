using System.Text.Json.Nodes;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.LoraXs;

/// <summary>
/// LoRA-XS (Bałazy et al. 2024, "LoRA-XS: Low-Rank Adaptation with Extremely Small Number of Parameters",
/// arXiv 2405.17604; SVD init as in the LoRA-SB code, Ponkshe, Singhal et al. 2024, arXiv 2411.19557): wraps each
/// target in a <see cref="LoraXsLinear"/>, W' = W₀ + s·B·R·A with B = U_r, A = Σ_r V_rᵀ frozen from the SVD of W₀
/// and R ∈ ℝ^{r×r} trainable — r² trainable values per adapted matrix. PEFT has no such type, so
/// <c>peft_type</c> is <c>LORA_XS</c>; config keys <c>r</c>, <c>lora_alpha</c>, <c>init_std</c>, <c>rank_pattern</c>.
/// </summary>
public sealed class LoraXsMethod : IAdapterMethod
{
    /// <inheritdoc/>
    public string Name => "lora_xs";

    /// <inheritdoc/>
    public string PeftType => "LORA_XS";

    /// <inheritdoc/>
    public Type OptionsType => typeof(LoraXsOptions);

    /// <inheritdoc/>
    public AdapterOptions DefaultOptions { get; } = new LoraXsOptions();

    /// <inheritdoc/>
    public AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var o = options as LoraXsOptions ?? throw new ArgumentException($"LoRA-XS takes {nameof(LoraXsOptions)}", nameof(options));
        var layers = new List<AdapterLayer>();
        foreach (var t in targets)
        {
            var r = o.RankOf(t.Name);
            var m = (int)Math.Min(t.Layer.InFeatures, t.Layer.OutFeatures);
            if (r < 1 || r > m) throw new ArgumentOutOfRangeException(nameof(options), r, $"LoRA-XS rank of '{t.Name}' must be in [1, min(d_in, d_out) = {m}]");
            layers.Add(new LoraXsLinear(t.Layer, r, o.ScalingOf(r), o.InitStd, generator));
        }
        return new AdapterInjection(layers, []);
    }

    /// <inheritdoc/>
    public void WriteConfig(AdapterOptions options, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (LoraXsOptions)options;
        config["r"] = o.R;
        config["lora_alpha"] = o.Alpha is { } a ? JsonValue.Create(a) : null;
        config["init_std"] = o.InitStd;
        config["rank_pattern"] = PeftConfigJson.Pattern(o.RankPattern) ?? new JsonObject();
    }

    /// <inheritdoc/>
    public AdapterOptions ReadConfig(JsonObject config, AdapterOptions common)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (LoraXsOptions)common;
        if (config["r"] is { } r) o = o with { R = r.GetValue<int>() };
        if (config["lora_alpha"] is { } a) o = o with { Alpha = a.GetValue<double>() };
        if (config["init_std"] is { } s) o = o with { InitStd = s.GetValue<double>() };
        return o with { RankPattern = PeftConfigJson.ReadPattern<int>(config["rank_pattern"]) };
    }
}
