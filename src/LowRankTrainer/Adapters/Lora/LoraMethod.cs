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
    /// <remarks>
    /// Two of PEFT's fields are accepted and do not change the options, since neither changes what the saved tensors mean:
    /// <c>fan_in_fan_out: true</c> (PEFT sets it for a Conv1D target, GPT-2's; here those layers are Linear, weight
    /// (d_out, d_in), converted on load, and <c>lora_A</c> (r, d_in) / <c>lora_B</c> (d_out, r) have the same shapes and
    /// meaning either way) and <c>init_lora_weights: false</c> (random B; the init is replaced by the loaded weights, so it
    /// reads as the default init).
    /// </remarks>
    /// <exception cref="NotSupportedException">The config asks for a LoRA variant not implemented here (DoRA, a LoRA bias, an init that changes the base such as PiSSA, target_parameters, layer_replication, aLoRA, KaSA, VeLoRA, MonteCLoRA, BD-LoRA).</exception>
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
            var n when n.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => o with { Init = LoraInit.KaimingUniform },
            var n when n.GetValueKind() == System.Text.Json.JsonValueKind.String && n.GetValue<string>() == "gaussian" => o with { Init = LoraInit.Gaussian },
            var n => throw new NotSupportedException($"init_lora_weights {n.ToJsonString()} is not supported (true, false or \"gaussian\")"),
        };
        foreach (var key in new[] { "use_dora", "lora_bias" })
        {
            if (config[key] is { } flag && flag.GetValueKind() == System.Text.Json.JsonValueKind.True) throw new NotSupportedException($"{key}: true is not supported");
        }
        // PEFT (0.21) features that change which tensors exist or how the forward runs — LoRA on raw parameters, duplicated
        // layers, activated LoRA, and the KaSA, VeLoRA, MonteCLoRA and BD-LoRA variants; null (or empty, or false) when unused.
        foreach (var key in new[] { "target_parameters", "layer_replication", "alora_invocation_tokens", "kasa_config", "velora_config", "monteclora_config", "use_bdlora" })
        {
            if (config[key] is { } used && used is not JsonArray { Count: 0 } && used.GetValueKind() != System.Text.Json.JsonValueKind.False)
            {
                throw new NotSupportedException($"{key} is not supported (got {used.ToJsonString()})");
            }
        }
        return o with { RankPattern = PeftConfigJson.ReadPattern<int>(config["rank_pattern"]), AlphaPattern = PeftConfigJson.ReadPattern<double>(config["alpha_pattern"]) };
    }
}
