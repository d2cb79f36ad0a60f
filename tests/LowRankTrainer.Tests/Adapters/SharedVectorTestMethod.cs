using System.Text.Json.Nodes;
using LowRankTrainer.Adapters;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>Options of <see cref="SharedVectorTestMethod"/>: the length k of the one shared vector θ.</summary>
internal sealed record SharedVectorOptions : AdapterOptions
{
    public int Dimension { get; init; } = 6;
}

/// <summary>
/// A test-only method with the shape of the intrinsic-subspace methods (Li et al. 2018): one trainable
/// vector θ ∈ ℝᵏ shared by every adapted layer, W_l = W0_l + reshape(P_l θ) with a frozen per-layer
/// projection P_l (regenerated from init_seed, not saved), θ = 0 at init. It proves that the adapter
/// API carries a tensor shared across layers: counted once, trained once, saved once.
/// </summary>
internal sealed class SharedVectorTestMethod : IAdapterMethod
{
    public static readonly SharedVectorTestMethod Instance = new();

    public string Name => "shared-vector";

    public string PeftType => "TEST_SHARED_VECTOR";

    public Type OptionsType => typeof(SharedVectorOptions);

    public AdapterOptions DefaultOptions { get; } = new SharedVectorOptions();

    public AdapterInjection Inject(IReadOnlyList<AdapterTarget> targets, AdapterOptions options, Generator generator)
    {
        var o = (SharedVectorOptions)options;
        Parameter? theta = null;
        var layers = new List<AdapterLayer>();
        foreach (var t in targets)
        {
            var layer = new Layer(t.Layer, theta, o.Dimension, generator);
            theta ??= layer.Theta;
            layers.Add(layer);
        }
        return new AdapterInjection(layers, [("theta", theta!)]);
    }

    // The projections are not saved but regenerated, so the seed goes into the config (RandLoRA's
    // projection_prng_key with save_projection = false).
    public void WriteConfig(AdapterOptions options, JsonObject config)
    {
        config["dimension"] = ((SharedVectorOptions)options).Dimension;
        config["projection_prng_key"] = options.InitSeed;
    }

    public AdapterOptions ReadConfig(JsonObject config, AdapterOptions common) =>
        (SharedVectorOptions)common with { Dimension = config["dimension"]!.GetValue<int>(), InitSeed = config["projection_prng_key"]!.GetValue<ulong>() };

    private sealed class Layer : AdapterLayer
    {
        private readonly Torch.Nn.Buffer _projection;

        public Layer(Linear baseLayer, Parameter? shared, int k, Generator g) : base(baseLayer)
        {
            using var suspended = DisposeScope.Suspend();
            Theta = shared is null ? RegisterParameter("theta", Tensor.Zeros(k)) : RegisterParameter("theta", shared);
            var p = Tensor.Randn([baseLayer.OutFeatures * baseLayer.InFeatures, k], g);
            p.Div_(Math.Sqrt(k));
            _projection = RegisterBuffer("projection", p, persistent: false);
        }

        public Parameter Theta { get; }

        public override IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors() => [("theta", Theta)];

        protected override Tensor AdaptedForward(Tensor input) =>
            Tensor.Linear(input, BaseLayer.Weight.Value + DeltaWeight(), BaseLayer.Bias?.Value);

        public override Tensor DeltaWeight() =>
            _projection.Value.Mm(Theta.Value.Unsqueeze(1)).Reshape(BaseLayer.OutFeatures, BaseLayer.InFeatures);
    }
}
