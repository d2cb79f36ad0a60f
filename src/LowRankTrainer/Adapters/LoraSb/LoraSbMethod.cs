using System.Text.Json.Nodes;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.LoraSb;

/// <summary>
/// LoRA-SB (Ponkshe, Singhal et al. 2024, "Initialization using Update Approximation is a Silver Bullet for Extreme
/// Efficient Low-Rank Fine-Tuning", arXiv 2411.19557): wraps each target in a <see cref="LoraSbLinear"/>,
/// W' = W₀ + B·R·A with B, A frozen orthonormal and R ∈ ℝ^{r×r} trainable, initialised from the rank-r truncated SVD of
/// the approximated first full fine-tuning step ΔW = −η·sign(G) (G: summed gradients on the first samples, η: the first
/// step's learning rate), given by <see cref="LoraSbOptions.InitContext"/>. <c>peft_type</c> <c>LORA_SB</c>; config keys
/// <c>r</c>, <c>lora_sb_num_samples</c>.
/// </summary>
public sealed class LoraSbMethod : IAdapterMethod
{
    /// <inheritdoc/>
    public string Name => "lora_sb";

    /// <inheritdoc/>
    public string PeftType => "LORA_SB";

    /// <inheritdoc/>
    public Type OptionsType => typeof(LoraSbOptions);

    /// <inheritdoc/>
    public AdapterOptions DefaultOptions { get; } = new LoraSbOptions();

    /// <summary>ΔW = −η·sign(G), float64: the sign-like first Adam step LoRA-SB approximates.</summary>
    public static Tensor InitialUpdate(Tensor gradientSum, double firstStepLr)
    {
        ArgumentNullException.ThrowIfNull(gradientSum);
        using var noGrad = Autograd.NoGrad();
        return gradientSum.Detach().To(DType.Float64).Sign() * (-firstStepLr);
    }

    /// <inheritdoc/>
    public AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var o = options as LoraSbOptions ?? throw new ArgumentException($"LoRA-SB takes {nameof(LoraSbOptions)}", nameof(options));
        var layers = new List<AdapterLayer>();
        foreach (var t in targets)
        {
            var m = (int)Math.Min(t.Layer.InFeatures, t.Layer.OutFeatures);
            if (o.R < 1 || o.R > m) throw new ArgumentOutOfRangeException(nameof(options), o.R, $"LoRA-SB rank of '{t.Name}' must be in [1, min(d_in, d_out) = {m}]");
            using var scope = new DisposeScope();
            var update = o.InitContext is { } c ? InitialUpdate(c.GradientSum(t), c.FirstStepLr) : null;
            layers.Add(new LoraSbLinear(t.Layer, o.R, update, generator));
        }
        return new AdapterInjection(layers, []);
    }

    /// <inheritdoc/>
    public void WriteConfig(AdapterOptions options, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (LoraSbOptions)options;
        config["r"] = o.R;
        config["lora_alpha"] = o.R;
        config["lora_sb_num_samples"] = o.NumSamples;
    }

    /// <inheritdoc/>
    public AdapterOptions ReadConfig(JsonObject config, AdapterOptions common)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (LoraSbOptions)common;
        if (config["r"] is { } r) o = o with { R = r.GetValue<int>() };
        if (config["lora_sb_num_samples"] is { } n) o = o with { NumSamples = n.GetValue<int>() };
        return o;
    }
}
