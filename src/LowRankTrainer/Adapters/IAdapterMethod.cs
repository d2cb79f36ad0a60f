using System.Text.Json.Nodes;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters;

/// <summary>
/// One adapter method (PEFT's <c>tuners/&lt;method&gt;</c>): its names, its options record, how it wraps the
/// selected Linear layers (and Conv2d layers, for a method that declares <see cref="SupportsConv2d"/>), and how its options read and write PEFT's <c>adapter_config.json</c>.
/// Registered with one line in <see cref="AdapterRegistry"/>.
/// </summary>
public interface IAdapterMethod
{
    /// <summary>The config name, lower case (<c>lora</c>): <c>adapter.method</c>.</summary>
    string Name { get; }

    /// <summary>PEFT's <c>peft_type</c> (<c>LORA</c>), written to and matched in <c>adapter_config.json</c>.</summary>
    string PeftType { get; }

    /// <summary>The options record this method takes (derived from <see cref="AdapterOptions"/>).</summary>
    Type OptionsType { get; }

    /// <summary>The options with every default.</summary>
    AdapterOptions DefaultOptions { get; }

    /// <summary>
    /// Whether the method adapts Conv2d layers as well as Linear ones (default false). Only such a method receives
    /// Conv2d targets (<see cref="TargetSelector"/>: <c>all</c> then takes the convolutions too, and a Conv2d named in
    /// <c>target_modules</c> is refused for any other method); its wrappers read <see cref="AdapterTarget.BaseModule"/>,
    /// not the Linear-only <see cref="AdapterTarget.Layer"/>.
    /// </summary>
    bool SupportsConv2d => false;

    /// <summary>
    /// Builds the adapter layers for all <paramref name="targets"/> at once (so a method can size and share
    /// tensors across layers: RandLoRA's bases, LoTR's groups, one global vector), drawing every random
    /// tensor from <paramref name="generator"/>. Returns one wrapper per target, in the same order; the
    /// caller puts them in place of the targets. Adapter parameters are created trainable.
    /// </summary>
    AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator);

    /// <summary>Writes the method's fields into <paramref name="config"/> (the common ones are already there).</summary>
    void WriteConfig(AdapterOptions options, JsonObject config);

    /// <summary>Reads options from a PEFT <c>adapter_config.json</c>, starting from <paramref name="common"/> (the shared fields, already read).</summary>
    AdapterOptions ReadConfig(JsonObject config, AdapterOptions common);
}

/// <summary>What <see cref="IAdapterMethod.Inject"/> builds.</summary>
/// <param name="Layers">One wrapper per target, in target order.</param>
/// <param name="Shared">
/// Tensors shared by several layers, by model-level name (saved once as <c>base_model.&lt;name&gt;</c>, where PEFT keeps VeRA/RandLoRA bases),
/// e.g. RandLoRA's <c>randlora_A</c>; empty for per-layer methods such as LoRA.
/// </param>
/// <param name="Resolved">
/// The options with every choice the method made from the base written out, when they differ from the given ones
/// (SVFit's per-matrix r chosen by threshold, as a <c>rank_pattern</c>): what <c>adapter_config.json</c> saves, so the
/// adapter loads back with the same shapes onto any base. Null: the given options.
/// </param>
public sealed record AdapterInjection(IReadOnlyList<AdapterLayer> Layers, IReadOnlyList<(string Name, Torch.Nn.TensorSlot Slot)> Shared,
                                      AdapterOptions? Resolved = null);
