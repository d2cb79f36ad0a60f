using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, L2 weight decay and Nesterov
/// momentum, computed exactly as PyTorch's <c>torch.optim.SGD(foreach=True)</c>.
/// </summary>
/// <remarks>
/// For each parameter p with gradient g (μ momentum, τ dampening):
/// <code>
/// g ← g + wd·p
/// b ← g                    on the parameter's first step, else b ← μ·b + (1 − τ)·g
/// g ← g + μ·b  (Nesterov)  or  g ← b
/// p ← p − lr·g
/// </code>
/// The Nesterov form is PyTorch's (see the torch.optim.SGD docs; after Sutskever et al., "On the
/// importance of initialization and momentum in deep learning", ICML 2013), which differs from the
/// original formulation by where the learning rate enters. The whole group is updated by one native
/// call. With momentum 0 there is no state; otherwise <c>state.{i}.momentum_buffer</c>, created on a
/// parameter's first gradient. Unlike PyTorch 1.13, the gradients themselves are never modified.
/// </remarks>
public sealed unsafe class Sgd : Optimizer
{
    /// <summary>SGD over parameter groups; hyperparameters a group leaves null take these defaults (PyTorch's).</summary>
    public Sgd(IEnumerable<ParamGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0,
               double weightDecay = 0, bool nesterov = false)
        : base(groups, ["momentum_buffer"], hasStep: false)
    {
        foreach (var g in ParamGroups)
        {
            g.DefaultSgd(lr, weightDecay, momentum, dampening, nesterov);
            Validate(g);
        }
    }

    /// <summary>SGD over one group holding <paramref name="parameters"/>.</summary>
    public Sgd(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0,
               double weightDecay = 0, bool nesterov = false)
        : this(OneGroup(parameters), lr, momentum, dampening, weightDecay, nesterov)
    {
    }

    private static void Validate(ParamGroup g)
    {
        if (!(g.Lr >= 0)) throw new ArgumentOutOfRangeException(nameof(g), g.Lr, "invalid learning rate");
        if (!(g.Momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(g), g.Momentum, "invalid momentum");
        if (!(g.WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(g), g.WeightDecay, "invalid weight decay");
        if (g.Nesterov && (g.Momentum <= 0 || g.Dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening", nameof(g));
    }

    private protected override void StepGroup(ParamGroup group, int start, int n)
    {
        fixed (nint* p = ParamHandles, b = StateHandles[0])
        {
            ShimLibrary.Check(NativeMethods.ts_sgd_step(p + start, b + start, n, group.Lr, group.Momentum, group.Dampening,
                                                        group.WeightDecay, group.Nesterov ? 1 : 0));
        }
    }
}
