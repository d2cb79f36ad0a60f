using System.Text.Json.Nodes;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.Lotr;

/// <summary>
/// LoTR (Bershatsky et al. 2024, "LoTR: Low Tensor Rank Weight Adaptation"; daskol/lotr): groups the targets by shape
/// (d_out, d_in) in order of first appearance, gives each group one trainable pair A (d_out, r), B (d_in, r) registered in
/// every member as the same slot, and each member its own core G (r, r) (<see cref="LotrLinear"/>). Shared tensors are
/// counted and saved once: keys <c>base_model.lotr_A.&lt;g&gt;</c>, <c>base_model.lotr_B.&lt;g&gt;</c> for group g
/// (0, 1, …) and <c>base_model.model.&lt;module&gt;.lotr_G</c>. PEFT has no such type, so <c>peft_type</c> is <c>LOTR</c>;
/// config keys <c>r</c>, <c>lotr_scale</c>, <c>lotr_init</c>.
/// </summary>
public sealed class LotrMethod : IAdapterMethod
{
    /// <inheritdoc/>
    public string Name => "lotr";

    /// <inheritdoc/>
    public string PeftType => "LOTR";

    /// <inheritdoc/>
    public Type OptionsType => typeof(LotrOptions);

    /// <inheritdoc/>
    public AdapterOptions DefaultOptions { get; } = new LotrOptions();

    /// <inheritdoc/>
    /// <remarks>Draws, group by group in order of first appearance, A then B from <paramref name="generator"/>.</remarks>
    public AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var o = options as LotrOptions ?? throw new ArgumentException($"LoTR takes {nameof(LotrOptions)}", nameof(options));
        if (o.R < 1) throw new ArgumentOutOfRangeException(nameof(options), o.R, "lotr r must be at least 1");
        var groups = new Dictionary<(long Out, long In), (int Index, LotrGroup Group)>();
        var shared = new List<(string, Torch.Nn.TensorSlot)>();
        var layers = new List<AdapterLayer>();
        foreach (var t in targets)
        {
            var key = (t.Layer.OutFeatures, t.Layer.InFeatures);
            if (!groups.TryGetValue(key, out var entry))
            {
                entry = (groups.Count, new LotrGroup(key.OutFeatures, key.InFeatures, o, t.Layer.Weight.Value, generator));
                groups.Add(key, entry);
                shared.Add(($"lotr_A.{entry.Index}", entry.Group.A));
                shared.Add(($"lotr_B.{entry.Index}", entry.Group.B));
            }
            layers.Add(new LotrLinear(t.Layer, entry.Group.A, entry.Group.B, o.R, o.Scaling));
        }
        return new AdapterInjection(layers, shared);
    }

    /// <inheritdoc/>
    public void WriteConfig(AdapterOptions options, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (LotrOptions)options;
        config["r"] = o.R;
        config["lotr_scale"] = o.Scale;
        config["lotr_init"] = o.Init == LotrInit.Scaled ? "scaled" : "normal";
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">An unknown <c>lotr_init</c>.</exception>
    public AdapterOptions ReadConfig(JsonObject config, AdapterOptions common)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (LotrOptions)common;
        if (config["r"] is { } r) o = o with { R = r.GetValue<int>() };
        if (config["lotr_scale"] is { } s) o = o with { Scale = s.GetValue<double>() };
        return config["lotr_init"]?.GetValue<string>() switch
        {
            null or "normal" => o with { Init = LotrInit.Normal },
            "scaled" => o with { Init = LotrInit.Scaled },
            var v => throw new NotSupportedException($"lotr_init '{v}' is not supported (normal or scaled)"),
        };
    }
}
