using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Optim;

/// <summary>
/// AdamW: Adam with decoupled weight decay (Loshchilov &amp; Hutter, "Decoupled Weight Decay
/// Regularization", ICLR 2019), computed exactly as PyTorch's <c>torch.optim.AdamW(foreach=True)</c>.
/// </summary>
/// <remarks>
/// For each parameter p with gradient g, at its own step t = 1, 2, …:
/// <code>
/// p ← p·(1 − lr·wd)
/// m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
/// p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
/// </code>
/// The whole group is updated by one native call built on <c>_foreach_*</c> kernels (about ten passes
/// over memory), or, with <c>fused: true</c> (HF's <c>adamw_torch_fused</c>), by a single-pass kernel
/// that reads p, g, m, v once and writes p, m, v once per parameter, computing in the element type
/// with the default path's order of operations and rounding: bit-identical to it on CPUs where
/// libtorch runs its AVX2/AVX-512 kernels, else (and with libtorch 2.x, whose foreach path uses
/// lerp) within the last bit or so (float32 ~1e-7 relative, float64 ~1e-16). The fused kernel takes
/// float32 and float64 CPU parameters whose gradient and moments share their layout (other parameters of the
/// group fall back to the <c>_foreach_*</c> path). A group whose parameters are all on CUDA takes libtorch's own
/// <c>_fused_adamw_</c> instead (libtorch ≥ 2.4: <c>torch.optim.AdamW(fused=True)</c>, multi-tensor launches in float
/// arithmetic); a group mixing devices is refused. Parameters
/// without a gradient are skipped and their step count does not advance (as in PyTorch). The moments
/// are created, as zeros in the parameter's dtype, the first time a parameter has a gradient.
/// State names: <c>state.{i}.exp_avg</c>, <c>state.{i}.exp_avg_sq</c>, <c>state.{i}.step</c>.
/// amsgrad and maximize are not supported.
/// </remarks>
public sealed unsafe class AdamW : Optimizer
{
    /// <summary>
    /// AdamW over parameter groups; hyperparameters a group leaves null take these defaults (PyTorch's).
    /// <paramref name="fused"/> steps with the single-pass kernel instead of <c>_foreach_*</c> ops (see the remarks).
    /// </summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                 double eps = 1e-8, double weightDecay = 1e-2, bool fused = false)
        : base(groups, ["exp_avg", "exp_avg_sq"], hasStep: true)
    {
        Fused = fused;
        foreach (var g in ParamGroups)
        {
            g.DefaultAdamW(lr, weightDecay, beta1, beta2, eps);
            Validate(g);
        }
    }

    /// <summary>AdamW over one group holding <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                 double eps = 1e-8, double weightDecay = 1e-2, bool fused = false)
        : this(OneGroup(parameters), lr, beta1, beta2, eps, weightDecay, fused)
    {
    }

    /// <summary>Whether steps use the single-pass kernel (<c>adamw_torch_fused</c>) rather than <c>_foreach_*</c> ops.</summary>
    public bool Fused { get; }

    private static void Validate(ParamGroup g)
    {
        if (!(g.Lr >= 0)) throw new ArgumentOutOfRangeException(nameof(g), g.Lr, "invalid learning rate");
        if (!(g.Eps >= 0)) throw new ArgumentOutOfRangeException(nameof(g), g.Eps, "invalid epsilon");
        if (!(g.Beta1 >= 0 && g.Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(g), g.Beta1, "invalid beta1 (must be in [0, 1))");
        if (!(g.Beta2 >= 0 && g.Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(g), g.Beta2, "invalid beta2 (must be in [0, 1))");
        if (!(g.WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(g), g.WeightDecay, "invalid weight decay");
    }

    /// <summary>The number of steps taken by the parameter at flat index <paramref name="index"/> (0 before its first gradient).</summary>
    public long StepCount(int index) => Steps![index];

    private protected override void StepGroup(ParamGroup group, int start, int n)
    {
        fixed (nint* p = ParamHandles, m = StateHandles[0], v = StateHandles[1])
        fixed (long* s = Steps)
        {
            ShimLibrary.Check(Fused
                ? NativeMethods.ts_adamw_step_fused(p + start, m + start, v + start, s + start, n,
                                                    group.Lr, group.Beta1, group.Beta2, group.Eps, group.WeightDecay)
                : NativeMethods.ts_adamw_step(p + start, m + start, v + start, s + start, n,
                                              group.Lr, group.Beta1, group.Beta2, group.Eps, group.WeightDecay));
        }
    }
}
