using LowRankTrainer.Adapters.LoraXs;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.LoraSb;

/// <summary>
/// A Linear layer with a LoRA-SB branch (Ponkshe, Singhal et al. 2024, arXiv 2411.19557): y = W₀x + b + B·R·A·x, the
/// LoRA-XS shape with s = 1. From the truncated SVD of the initial update ΔW ≈ U_r diag(S_r) V_rᵀ (float64
/// <c>linalg.svd</c>, cast to the weight's dtype): B = U_r (d_out, r) and A = V_rᵀ (r, d_in) frozen with orthonormal
/// columns/rows, R = diag(S_r) (r, r) trainable, so B·R·A = trunc_SVD_r(ΔW) at init; W₀ is not modified.
/// </summary>
/// <remarks>State-dict keys as LoRA-XS: <c>lora_A.weight</c>, <c>lora_B.weight</c> (frozen buffers, saved) and <c>lora_latent_mapping.weight</c>.</remarks>
public sealed class LoraSbLinear : AdapterLayer
{
    private readonly FrozenWeight _a;
    private readonly FrozenWeight _b;
    private readonly Linear _latent;

    /// <summary>Wraps <paramref name="baseLayer"/>; <paramref name="update"/> is ΔW (d_out, d_in), or null for zero factors that a checkpoint load fills.</summary>
    public LoraSbLinear(Linear baseLayer, int r, Tensor? update, Generator generator)
        : base(baseLayer)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        var w = BaseLayer.Weight.Value;
        var m = Math.Min(baseLayer.InFeatures, baseLayer.OutFeatures);
        if (r > m) throw new ArgumentOutOfRangeException(nameof(r), r, $"LoRA-SB rank must be at most min(d_in, d_out) = {m}");
        R = r;
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        _latent = new Linear(r, r, bias: false, generator: generator, dtype: w.DType, device: w.Device);
        Tensor a, b;
        if (update is null)
        {
            a = Tensor.Zeros([r, baseLayer.InFeatures], w.DType, w.Device);
            b = Tensor.Zeros([baseLayer.OutFeatures, r], w.DType, w.Device);
            _latent.Weight.Value.Zero_();
        }
        else
        {
            var (u, s, vh) = TruncatedSvd.Top(update, r);
            a = vh.To(w.DType);
            b = u.To(w.DType);
            _latent.Weight.Value.Copy_((Tensor.Eye(r, dtype: DType.Float64, device: s.Device) * s.Unsqueeze(0)).To(w.DType));  // diag(S_r)
        }
        _a = RegisterModule("lora_A", new FrozenWeight(a));
        _b = RegisterModule("lora_B", new FrozenWeight(b));
        RegisterModule("lora_latent_mapping", _latent);
    }

    /// <summary>The rank r.</summary>
    public int R { get; }

    /// <inheritdoc/>
    public override string SizeLabel => $"r={R}";

    /// <summary>A = V_rᵀ, (r, d_in), frozen, orthonormal rows.</summary>
    public TensorSlot A => _a.Slot;

    /// <summary>B = U_r, (d_out, r), frozen, orthonormal columns.</summary>
    public TensorSlot B => _b.Slot;

    /// <summary>R, (r, r), the only trainable tensor; diag(S_r) at init.</summary>
    public Parameter Latent => _latent.Weight;

    /// <inheritdoc/>
    public override IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors() =>
        [("lora_A.weight", A), ("lora_B.weight", B), ("lora_latent_mapping.weight", Latent)];

    /// <inheritdoc/>
    protected override Tensor AdaptedForward(Tensor input)
    {
        using var down = Tensor.Linear(input, A.Value);
        using var latent = _latent.Forward(down);
        return BasePlus(input, Tensor.Linear(latent, B.Value));
    }

    /// <summary>ΔW = B·R·A, (d_out, d_in); in fp32 for half-precision factors.</summary>
    public override Tensor DeltaWeight()
    {
        var (a, r, b) = (A.Value, Latent.Value, B.Value);
        if (a.DType is DType.BFloat16 or DType.Float16) (a, r, b) = (a.To(DType.Float32), r.To(DType.Float32), b.To(DType.Float32));
        return b.Mm(r).Mm(a);
    }
}
