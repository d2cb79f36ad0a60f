using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.LoraXs;

/// <summary>
/// A Linear layer with a LoRA-XS branch (Bałazy et al. 2024, arXiv 2405.17604; init as in the LoRA-SB code,
/// Ponkshe, Singhal et al. 2024, arXiv 2411.19557): y = W₀x + b + s·B·R·A·x. From the truncated SVD
/// W₀ ≈ U_r Σ_r V_rᵀ (float64 <c>linalg.svd</c>, cast to the weight's dtype): B = U_r ∈ ℝ^{d_out×r} (frozen,
/// orthonormal columns), A = Σ_r V_rᵀ ∈ ℝ^{r×d_in} (frozen; the singular values are folded into A as the
/// reference does), R ∈ ℝ^{r×r} trainable, R ~ N(0, std²) (std 1e-5 by default), s = α/r.
/// </summary>
/// <remarks>
/// State-dict keys (relative to the layer): <c>lora_A.weight</c> (r, d_in) and <c>lora_B.weight</c> (d_out, r),
/// frozen persistent buffers, and <c>lora_latent_mapping.weight</c> (r, r), the only parameter; the branch is
/// B(latent(A(x))) as in the reference's patched PEFT layer, so ΔW = s·B·R·A. The frozen factors are saved
/// with the adapter so that a load needs no SVD and reproduces the adapter exactly.
/// </remarks>
public sealed class LoraXsLinear : AdapterLayer
{
    private readonly FrozenWeight _a;
    private readonly FrozenWeight _b;
    private readonly Linear _latent;

    /// <summary>Wraps <paramref name="baseLayer"/> with a rank-<paramref name="r"/> LoRA-XS branch; R is drawn from <paramref name="generator"/>.</summary>
    public LoraXsLinear(Linear baseLayer, int r, double scaling, double initStd, Generator generator)
        : base(baseLayer)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(initStd);
        var w = BaseLayer.Weight.Value;
        var m = Math.Min(baseLayer.InFeatures, baseLayer.OutFeatures);
        if (r > m) throw new ArgumentOutOfRangeException(nameof(r), r, $"LoRA-XS rank must be at most min(d_in, d_out) = {m}");
        R = r;
        Scaling = scaling;
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        var (u, s, vh) = TruncatedSvd.Top(w, r);
        var a = (vh * s.Unsqueeze(1)).To(w.DType);  // Σ_r V_rᵀ: row i of V_rᵀ times σ_i
        var b = u.To(w.DType);
        // As the reference: nn.Linear(r, r, bias=False) draws its default init, then init_module_weights redraws it N(0, std²).
        _latent = new Linear(r, r, bias: false, generator: generator, dtype: w.DType, device: w.Device);
        if (initStd > 0) _latent.Weight.Value.Normal_(0, initStd, generator);
        else _latent.Weight.Value.Zero_();
        _a = RegisterModule("lora_A", new FrozenWeight(a));
        _b = RegisterModule("lora_B", new FrozenWeight(b));
        RegisterModule("lora_latent_mapping", _latent);
    }

    /// <summary>The rank r.</summary>
    public int R { get; }

    /// <inheritdoc/>
    public override string SizeLabel => $"r={R}";

    /// <summary>s = α/r.</summary>
    public double Scaling { get; }

    /// <summary>A = Σ_r V_rᵀ, (r, d_in), frozen.</summary>
    public TensorSlot A => _a.Slot;

    /// <summary>B = U_r, (d_out, r), frozen.</summary>
    public TensorSlot B => _b.Slot;

    /// <summary>R, (r, r), the only trainable tensor.</summary>
    public Parameter Latent => _latent.Weight;

    /// <inheritdoc/>
    public override IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors() =>
        [("lora_A.weight", A), ("lora_B.weight", B), ("lora_latent_mapping.weight", Latent)];

    /// <inheritdoc/>
    protected override Tensor AdaptedForward(Tensor input)
    {
        using var down = Tensor.Linear(input, A.Value);
        using var latent = _latent.Forward(down);
        return BasePlus(input, Tensor.Linear(latent, B.Value), Scaling);
    }

    /// <summary>ΔW = s·B·R·A, (d_out, d_in); in fp32 for half-precision factors, then rounded once by the merge.</summary>
    public override Tensor DeltaWeight()
    {
        var (a, r, b) = (A.Value, Latent.Value, B.Value);
        if (a.DType is DType.BFloat16 or DType.Float16) (a, r, b) = (a.To(DType.Float32), r.To(DType.Float32), b.To(DType.Float32));
        return b.Mm(r).Mm(a) * Scaling;
    }
}
