using System.Text.Json.Nodes;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// Intrinsic-subspace training (Li, Farkhoor, Liu, Yosinski 2018; DID and SAID of Aghajanyan, Zettlemoyer, Gupta 2021):
/// every weight and bias of the targets (default <c>all</c>: every Linear, the head included, and every Conv2d) moves only along
/// θ^D = θ0^D + P θ^d, one global vector θ^d ∈ ℝ^d (zero at init) projected by a frozen random P ∈ ℝ^{D×d}
/// (<see cref="FastfoodProjection"/>, <see cref="DenseProjection"/> or <see cref="SparseProjection"/>, drawn from the
/// projection seed). SAID scales each tensor's slice by its own trainable λ (one per tensor, init 1) and projects
/// d − m values, so the trainable count is d either way. PEFT has no such type, so <c>peft_type</c> is
/// <c>INTRINSIC</c>; config fields <c>d</c>, <c>projection</c>, <c>said</c>, <c>projection_seed</c>, <c>max_projection_mb</c>.
/// </summary>
/// <remarks>Linear and Conv2d layers are projected (their weight and bias: <see cref="IntrinsicLinear"/>,
/// <see cref="IntrinsicConv2d"/>); parameters of other module types (norms, embeddings) stay frozen.</remarks>
public sealed class IntrinsicMethod : IAdapterMethod
{
    /// <inheritdoc/>
    public string Name => "intrinsic";

    /// <inheritdoc/>
    public string PeftType => "INTRINSIC";

    /// <summary>True: Li et al. project every parameter of the network, the convolutions of their LeNet included.</summary>
    public bool SupportsConv2d => true;

    /// <inheritdoc/>
    public Type OptionsType => typeof(IntrinsicOptions);

    /// <inheritdoc/>
    public AdapterOptions DefaultOptions { get; } = new IntrinsicOptions();

    /// <summary>
    /// The projected tensors of <paramref name="targets"/>: each weight (all its elements, row-major: d_out·d_in for a
    /// Linear, C_out·C_in/groups·kH·kW for a Conv2d), then its bias, in target order.
    /// </summary>
    public static IReadOnlyList<IntrinsicBlock> Layout(IReadOnlyList<AdapterTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var blocks = new List<IntrinsicBlock>();
        long offset = 0;
        void Add(long size)
        {
            blocks.Add(new IntrinsicBlock(offset, size, blocks.Count));
            offset += size;
        }
        foreach (var t in targets)
        {
            var (weight, bias) = Tensors(t);
            Add(weight.Value.NumEl);
            if (bias is not null) Add(bias.Value.NumEl);
        }
        return blocks;
    }

    /// <inheritdoc/>
    public AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var o = options as IntrinsicOptions ?? throw new ArgumentException($"intrinsic takes {nameof(IntrinsicOptions)}", nameof(options));
        var blocks = Layout(targets);
        var total = blocks.Sum(b => b.Size);
        var m = blocks.Count;
        if (o.D < 1) throw new ArgumentOutOfRangeException(nameof(options), o.D, "adapter.d (the intrinsic dimension) must be at least 1");
        if (o.Said && o.D <= m)
        {
            throw new ArgumentOutOfRangeException(nameof(options), o.D, $"adapter.d = {o.D} with SAID must exceed the number of projected tensors m = {m} (d counts the m scales λ)");
        }
        var columns = o.Said ? o.D - m : o.D;
        if (columns > total) throw new ArgumentOutOfRangeException(nameof(options), o.D, $"adapter.d = {o.D} projects {columns} values into only D = {total} parameters; d must not exceed D");
        if (o.MaxProjectionMb < 0) throw new ArgumentOutOfRangeException(nameof(options), o.MaxProjectionMb, "adapter.max_projection_mb must be ≥ 0");

        using var g = new Generator(o.EffectiveProjectionSeed);
        IntrinsicProjection projection = o.Projection switch
        {
            IntrinsicProjectionKind.Fastfood => new FastfoodProjection(total, columns, g),
            IntrinsicProjectionKind.Dense => new DenseProjection(total, columns, g, o.MaxProjectionMb),
            IntrinsicProjectionKind.Sparse => new SparseProjection(blocks.Select(b => b.Size).ToArray(), columns, g, o.MaxProjectionMb),
            _ => throw new ArgumentOutOfRangeException(nameof(options), o.Projection, "unknown intrinsic projection"),
        };
        var subspace = new IntrinsicSubspace(projection, blocks, o.Said);
        var layers = new List<AdapterLayer>();
        var next = 0;
        foreach (var t in targets)
        {
            var weight = blocks[next++];
            var bias = Tensors(t).Bias is null ? null : blocks[next++];
            layers.Add(t.BaseModule is Conv2d conv ? new IntrinsicConv2d(conv, subspace, weight, bias) : new IntrinsicLinear(t.Layer, subspace, weight, bias));
        }
        var shared = new List<(string, Torch.Nn.TensorSlot)> { ("intrinsic_theta", subspace.Theta) };
        if (subspace.Lambda is { } l) shared.Add(("intrinsic_lambda", l));
        return new AdapterInjection(layers, shared);
    }

    private static (Parameter Weight, Parameter? Bias) Tensors(AdapterTarget t) => t.BaseModule switch
    {
        Conv2d c => (c.Weight, c.Bias),
        _ => (t.Layer.Weight, t.Layer.Bias),
    };

    /// <inheritdoc/>
    public void WriteConfig(AdapterOptions options, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (IntrinsicOptions)options;
        config["d"] = o.D;
        config["projection"] = ProjectionName(o.Projection);
        config["said"] = o.Said;
        config["projection_seed"] = o.EffectiveProjectionSeed;
        config["max_projection_mb"] = o.MaxProjectionMb;
    }

    /// <inheritdoc/>
    public AdapterOptions ReadConfig(JsonObject config, AdapterOptions common)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = (IntrinsicOptions)common;
        if (config["d"] is { } d) o = o with { D = d.GetValue<int>() };
        if (config["projection"] is { } p) o = o with { Projection = ParseProjection(p.GetValue<string>()) };
        if (config["said"] is { } s) o = o with { Said = s.GetValue<bool>() };
        if (config["projection_seed"] is { } seed) o = o with { ProjectionSeed = seed.GetValue<ulong>() };
        if (config["max_projection_mb"] is { } mb) o = o with { MaxProjectionMb = mb.GetValue<int>() };
        return o;
    }

    /// <summary>The config spelling of a projection kind.</summary>
    public static string ProjectionName(IntrinsicProjectionKind kind) => kind switch
    {
        IntrinsicProjectionKind.Fastfood => "fastfood",
        IntrinsicProjectionKind.Dense => "dense",
        IntrinsicProjectionKind.Sparse => "sparse",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Reads <c>fastfood</c>, <c>dense</c> or <c>sparse</c>.</summary>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static IntrinsicProjectionKind ParseProjection(string name) => name switch
    {
        "fastfood" => IntrinsicProjectionKind.Fastfood,
        "dense" => IntrinsicProjectionKind.Dense,
        "sparse" => IntrinsicProjectionKind.Sparse,
        _ => throw new ArgumentException($"adapter.projection must be fastfood, dense or sparse (got '{name}')", nameof(name)),
    };
}
