using System.Text.Json.Nodes;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.RandLora;

/// <summary>
/// RandLoRA (Albert et al., "RandLoRA: Full-rank parameter-efficient fine-tuning of large models", ICLR 2025; PEFT
/// <c>tuners/randlora</c>): one pair of frozen random bases for the whole model (<see cref="RandLoraBases"/>, sized for
/// the largest target and seeded by <c>projection_prng_key</c>), shared by every <see cref="RandLoraLinear"/>, each of
/// which trains λ (r×n) and γ (n×m). Checkpoint keys: <c>base_model.model.&lt;module&gt;.randlora_lambda</c>,
/// <c>….randlora_gamma</c>, and with <c>save_projection</c> the bases once as <c>base_model.randlora_A</c> /
/// <c>randlora_B</c>. Config fields are PEFT's (<c>r</c>, <c>randlora_alpha</c>, <c>randlora_dropout</c>,
/// <c>projection_prng_key</c>, <c>save_projection</c>, <c>sparse</c>, <c>very_sparse</c>) plus <c>randlora_scaling: paper</c> when
/// the paper's scaling is used (absent: PEFT's). The mapping to PEFT's files is in <c>RandLora/README.md</c>.
/// </summary>
public sealed class RandLoraMethod : IAdapterMethod
{
    /// <inheritdoc/>
    public string Name => "randlora";

    /// <inheritdoc/>
    public string PeftType => "RANDLORA";

    /// <inheritdoc/>
    public Type OptionsType => typeof(RandLoraOptions);

    /// <inheritdoc/>
    public AdapterOptions DefaultOptions { get; } = new RandLoraOptions();

    /// <inheritdoc/>
    /// <remarks>The bases come from <c>projection_prng_key</c>, not from <paramref name="generator"/>: λ and γ have constant inits.</remarks>
    public AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var o = options as RandLoraOptions ?? throw new ArgumentException($"RandLoRA takes {nameof(RandLoraOptions)}", nameof(options));
        if (o.R < 1) throw new ArgumentOutOfRangeException(nameof(options), o.R, "randlora r must be at least 1");
        if (o.Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), o.Dropout, "randlora_dropout must be in [0, 1)");
        if (o.Sparse && o.VerySparse) throw new ArgumentException("randlora: set at most one of sparse and very_sparse", nameof(options));
        if (targets.Count == 0) return new AdapterInjection([], []);
        var bases = new RandLoraBases(targets, o);
        var layers = targets.Select(t => (AdapterLayer)new RandLoraLinear(t.Layer, o.R, o, bases.A, bases.B)).ToList();
        IReadOnlyList<(string, Torch.Nn.TensorSlot)> shared = o.SaveProjection ? [("randlora_A", bases.A), ("randlora_B", bases.B)] : [];
        return new AdapterInjection(layers, shared);
    }

    /// <inheritdoc/>
    public void WriteConfig(AdapterOptions options, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (RandLoraOptions)options;
        config["r"] = o.R;
        config["randlora_alpha"] = o.Alpha;
        config["randlora_dropout"] = o.Dropout;
        // Not a PEFT field: written only for the paper's scaling, so that a PEFT-scaled adapter's config is exactly PEFT's
        // (PEFT drops unknown keys with a warning; it cannot apply the paper's per-layer 2/√n, so such an adapter only reloads here).
        if (o.Scaling == RandLoraScaling.Paper) config["randlora_scaling"] = "paper";
        config["projection_prng_key"] = o.ProjectionPrngKey;
        config["save_projection"] = o.SaveProjection;
        config["sparse"] = o.Sparse;
        config["very_sparse"] = o.VerySparse;
        config["fan_in_fan_out"] = false;
        config["init_weights"] = true;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// PEFT's <c>fan_in_fan_out: true</c> (set for a Conv1D target, GPT-2's) and <c>init_weights: false</c> (random λ) are
    /// accepted without changing the options: λ (r, n) and γ (n, m) do not depend on the base's storage order (m and M
    /// are the layer's min and max dimension either way), and the init is replaced by the loaded weights.
    /// </remarks>
    /// <exception cref="NotSupportedException">The config asks for an unknown scaling.</exception>
    public AdapterOptions ReadConfig(JsonObject config, AdapterOptions common)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (RandLoraOptions)common;
        if (config["r"] is { } r) o = o with { R = r.GetValue<int>() };
        if (config["randlora_alpha"] is { } a) o = o with { Alpha = a.GetValue<double>() };
        if (config["randlora_dropout"] is { } d) o = o with { Dropout = d.GetValue<double>() };
        if (config["projection_prng_key"] is { } k) o = o with { ProjectionPrngKey = k.GetValue<ulong>() };
        if (config["save_projection"] is { } sp) o = o with { SaveProjection = sp.GetValue<bool>() };
        if (config["sparse"] is { } s) o = o with { Sparse = s.GetValue<bool>() };
        if (config["very_sparse"] is { } vs) o = o with { VerySparse = vs.GetValue<bool>() };
        o = config["randlora_scaling"]?.GetValue<string>() switch
        {
            null or "peft" => o with { Scaling = RandLoraScaling.Peft },
            "paper" => o with { Scaling = RandLoraScaling.Paper },
            var v => throw new NotSupportedException($"randlora_scaling '{v}' is not supported (peft or paper)"),
        };
        return o;
    }
}
