using LowRankTrainer.Adapters.LoraXs;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Buffer = LowRankTrainer.Torch.Nn.Buffer;

namespace LowRankTrainer.Adapters.SvFit;

/// <summary>
/// A Linear layer adapted by SVFit (Sun, Wei et al. 2024, arXiv 2409.05926): from the SVD W₀ = U Σ Vᵀ (float64
/// <c>linalg.svd</c>, cast to the weight's dtype) the top-r triplets give W = U_r diag(σ) V_rᵀ + W_e with
/// W_e = W₀ − U_r diag(σ⁰) V_rᵀ, where σ ∈ ℝ^r trains from σ⁰ = Σ_r and U_r, V_r, σ⁰ are frozen. Since
/// U_r diag(σ) V_rᵀ + W_e = W₀ + U_r diag(σ − σ⁰) V_rᵀ, the layer keeps W₀ as its base weight and computes
/// y = W₀x + b + U_r((σ − σ⁰) ⊙ (V_rᵀx)): the branch is exactly zero at init (the output is bit-for-bit the
/// base's), disabling the adapter gives W₀ back, and ΔW = U_r diag(σ − σ⁰) V_rᵀ merges like any other method.
/// </summary>
/// <remarks>
/// State-dict keys (relative to the layer): <c>svfit_sigma</c> (r), the only parameter, and the frozen persistent
/// buffers <c>svfit_U</c> (d_out, r), <c>svfit_Vh</c> (r, d_in) = V_rᵀ and <c>svfit_sigma0</c> (r); all four are
/// saved so a load needs no SVD and is exact.
/// </remarks>
public sealed class SvFitLinear : AdapterLayer
{
    private readonly Parameter _sigma;
    private readonly Buffer _u;
    private readonly Buffer _vh;
    private readonly Buffer _sigma0;

    /// <summary>Wraps <paramref name="baseLayer"/> keeping its top <paramref name="r"/> singular triplets.</summary>
    public SvFitLinear(Linear baseLayer, int r)
        : base(baseLayer)
    {
        var w = BaseLayer.Weight.Value;
        var m = Math.Min(baseLayer.InFeatures, baseLayer.OutFeatures);
        if (r < 1 || r > m) throw new ArgumentOutOfRangeException(nameof(r), r, $"SVFit rank must be in [1, min(d_in, d_out) = {m}]");
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        var (u, s, vh) = TruncatedSvd.Top(w, r);
        var s0 = s.To(w.DType);
        _u = RegisterBuffer("svfit_U", u.To(w.DType));
        _vh = RegisterBuffer("svfit_Vh", vh.To(w.DType));
        _sigma0 = RegisterBuffer("svfit_sigma0", s0);
        _sigma = RegisterParameter("svfit_sigma", s0.Clone());
        Rank = r;
    }

    /// <summary>The number of singular triplets kept (= trainable values in this layer).</summary>
    public int Rank { get; }

    /// <inheritdoc/>
    public override string SizeLabel => $"r={Rank}";

    /// <summary>σ, (r), trainable, σ⁰ at init.</summary>
    public Parameter Sigma => _sigma;

    /// <summary>σ⁰ = Σ_r, (r), frozen.</summary>
    public Buffer Sigma0 => _sigma0;

    /// <summary>U_r, (d_out, r), frozen.</summary>
    public Buffer U => _u;

    /// <summary>V_rᵀ, (r, d_in), frozen.</summary>
    public Buffer Vh => _vh;

    /// <inheritdoc/>
    public override IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors() =>
        [("svfit_sigma", Sigma), ("svfit_U", U), ("svfit_Vh", Vh), ("svfit_sigma0", Sigma0)];

    /// <inheritdoc/>
    protected override Tensor AdaptedForward(Tensor input)
    {
        using var down = Tensor.Linear(input, Vh.Value);
        using var delta = Sigma.Value.Sub(Sigma0.Value);
        using var z = down.Mul(delta);
        return BasePlus(input, Tensor.Linear(z, U.Value));
    }

    /// <summary>ΔW = U_r diag(σ − σ⁰) V_rᵀ, (d_out, d_in), relative to W₀; in fp32 for half-precision tensors, then rounded once by the merge.</summary>
    public override Tensor DeltaWeight()
    {
        var (u, vh, d) = (U.Value, Vh.Value, Sigma.Value - Sigma0.Value);
        if (u.DType is DType.BFloat16 or DType.Float16) (u, vh, d) = (u.To(DType.Float32), vh.To(DType.Float32), d.To(DType.Float32));
        return (u * d.Unsqueeze(0)).Mm(vh);
    }
}
