using System.Text.Json.Nodes;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.Lora;

/// <summary>
/// LoRA (Hu et al. 2021; PEFT <c>tuners/lora</c>): wraps each target in a <see cref="LoraLinear"/> whose
/// rank and α follow <see cref="LoraOptions.RankPattern"/> / <see cref="LoraOptions.AlphaPattern"/>.
/// Every layer owns its factors, so nothing is shared. Config keys: <c>r</c>, <c>lora_alpha</c>,
/// <c>lora_dropout</c>, <c>use_rslora</c>, <c>init_lora_weights</c>, <c>rank_pattern</c>, <c>alpha_pattern</c>.
/// </summary>
public sealed class LoraMethod : IAdapterMethod
{
    /// <inheritdoc/>
    public string Name => "lora";

    /// <inheritdoc/>
    public string PeftType => "LORA";

    /// <inheritdoc/>
    public Type OptionsType => typeof(LoraOptions);

    /// <inheritdoc/>
    public AdapterOptions DefaultOptions { get; } = new LoraOptions();

    /// <inheritdoc/>
    public AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var o = options as LoraOptions ?? throw new ArgumentException($"LoRA takes {nameof(LoraOptions)}", nameof(options));
        if (o.Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), o.Dropout, "lora_dropout must be in [0, 1)");
        var layers = targets.Select(t => (AdapterLayer)new LoraLinear(t.Layer, o.RankOf(t.Name), o.AlphaOf(t.Name), o.UseRsLora, o.Dropout, o.Init, generator)).ToList();
        return new AdapterInjection(layers, []);
    }

    /// <inheritdoc/>
    public void WriteConfig(AdapterOptions options, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (LoraOptions)options;
        config["r"] = o.R;
        config["lora_alpha"] = o.Alpha;
        config["lora_dropout"] = o.Dropout;
        config["use_rslora"] = o.UseRsLora;
        config["init_lora_weights"] = o.Init == LoraInit.Gaussian ? JsonValue.Create("gaussian") : JsonValue.Create(true);
        config["fan_in_fan_out"] = false;
        config["use_dora"] = false;
        config["lora_bias"] = false;
        config["rank_pattern"] = PeftConfigJson.Pattern(o.RankPattern) ?? new JsonObject();
        config["alpha_pattern"] = PeftConfigJson.Pattern(o.AlphaPattern) ?? new JsonObject();
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The config asks for a LoRA variant not implemented here (DoRA, a LoRA bias, fan_in_fan_out, another init).</exception>
    public AdapterOptions ReadConfig(JsonObject config, AdapterOptions common)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (LoraOptions)common;
        if (config["r"] is { } r) o = o with { R = r.GetValue<int>() };
        if (config["lora_alpha"] is { } a) o = o with { Alpha = a.GetValue<double>() };
        if (config["lora_dropout"] is { } d) o = o with { Dropout = d.GetValue<double>() };
        if (config["use_rslora"] is { } rs) o = o with { UseRsLora = rs.GetValue<bool>() };
        o = config["init_lora_weights"] switch
        {
            null => o,
            var n when n.GetValueKind() == System.Text.Json.JsonValueKind.True => o with { Init = LoraInit.KaimingUniform },
            var n when n.GetValueKind() == System.Text.Json.JsonValueKind.String && n.GetValue<string>() == "gaussian" => o with { Init = LoraInit.Gaussian },
            var n => throw new NotSupportedException($"init_lora_weights {n.ToJsonString()} is not supported (true or \"gaussian\")"),
        };
        foreach (var key in new[] { "use_dora", "lora_bias", "fan_in_fan_out" })
        {
            if (config[key] is { } flag && flag.GetValueKind() == System.Text.Json.JsonValueKind.True) throw new NotSupportedException($"{key}: true is not supported");
        }
        return o with { RankPattern = PeftConfigJson.ReadPattern<int>(config["rank_pattern"]), AlphaPattern = PeftConfigJson.ReadPattern<double>(config["alpha_pattern"]) };
    }
}
