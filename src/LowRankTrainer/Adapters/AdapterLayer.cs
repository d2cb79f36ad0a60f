using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters;

/// <summary>
/// A Linear (or, for a method that declares <see cref="IAdapterMethod.SupportsConv2d"/>, a Conv2d) layer wrapped by an
/// adapter: y = W₀x + b + Δ(x), where Δ is the method's branch. Holds the original layer as the child
/// <c>base_layer</c> (PEFT's name, so full state-dict keys read <c>&lt;module&gt;.base_layer.weight</c>) and the
/// adapter's own tensors beside it.
/// </summary>
/// <remarks>
/// <para>Modes: <b>enabled</b> (the default) computes <see cref="AdaptedForward"/>; <b>disabled</b> computes
/// the base alone; <b>merged</b> folds ΔW (and Δb) into the base's weight once (W₀ ← W₀ + ΔW), so the
/// forward is the base layer's and costs nothing extra. <see cref="Unmerge"/> subtracts the same ΔW.</para>
/// <para>Shared tensors (RandLoRA's bases, LoTR's group factors, an intrinsic-subspace vector) are
/// registered in every layer that reads them with <see cref="Module.RegisterParameter(string, Parameter)"/>,
/// so they are counted once and updated once; the method reports them in <see cref="AdapterInjection.Shared"/>
/// so a checkpoint stores them once.</para>
/// </remarks>
public abstract class AdapterLayer : Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="baseLayer"/> (a <see cref="Linear"/> or a <see cref="Conv2d"/>), registered as the child <c>base_layer</c>.</summary>
    /// <exception cref="ArgumentException">The layer is neither a Linear nor a Conv2d.</exception>
    protected AdapterLayer(Module<Tensor, Tensor> baseLayer)
    {
        ArgumentNullException.ThrowIfNull(baseLayer);
        (BaseWeight, BaseBias) = baseLayer switch
        {
            Linear l => (l.Weight, l.Bias),
            Conv2d c => (c.Weight, c.Bias),
            _ => throw new ArgumentException($"an adapter wraps a Linear or a Conv2d layer, not a {baseLayer.GetType().Name}", nameof(baseLayer)),
        };
        BaseModule = RegisterModule("base_layer", baseLayer);
    }

    /// <summary>The wrapped layer, whichever its type (its weight holds W₀, or W₀ + ΔW while merged).</summary>
    public Module<Tensor, Tensor> BaseModule { get; }

    /// <summary>
    /// The wrapped layer as a <see cref="Linear"/>: what the Linear-only methods (every method but those that declare
    /// <see cref="IAdapterMethod.SupportsConv2d"/>) read its shape and weight from.
    /// </summary>
    /// <exception cref="InvalidOperationException">The wrapped layer is a Conv2d.</exception>
    public Linear BaseLayer => BaseModule as Linear ?? throw new InvalidOperationException($"this adapter layer wraps a {BaseModule.GetType().Name}, not a Linear");

    /// <summary>The wrapped layer's weight W₀: (out, in) for a Linear, (C_out, C_in/groups, kH, kW) for a Conv2d.</summary>
    public Parameter BaseWeight { get; }

    /// <summary>The wrapped layer's bias b (out), or null when it has none.</summary>
    public Parameter? BaseBias { get; }

    /// <summary>Whether ΔW is folded into the base weight now.</summary>
    public bool Merged { get; private set; }

    /// <summary>When false the layer computes the base alone (PEFT's <c>disable_adapter</c>). Not allowed while merged.</summary>
    public bool Enabled { get; private set; } = true;

    /// <summary>
    /// The adapter's own tensors by name relative to this layer (<c>lora_A.weight</c>), in save order;
    /// shared slots included (the checkpoint skips those listed as shared).
    /// </summary>
    public abstract IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors();

    /// <inheritdoc/>
    public sealed override Tensor Forward(Tensor input) =>
        Merged || !Enabled ? BaseModule.Forward(input) : AdaptedForward(input);

    /// <summary>The adapted output y = W₀x + b + Δ(x) (dropout, if any, on the branch's input only).</summary>
    protected abstract Tensor AdaptedForward(Tensor input);

    /// <summary>
    /// y = W₀x + b + s·<paramref name="branch"/> (PEFT's <c>result + branch * scaling</c>), taking ownership of
    /// <paramref name="branch"/>: every intermediate handle is released here, not at the end of the step's
    /// <see cref="DisposeScope"/>, so that only the tensors autograd saved stay alive through the backward pass (with
    /// [N, T, d_out] activations, holding them would cost several times a layer's activation memory).
    /// </summary>
    protected Tensor BasePlus(Tensor input, Tensor branch, double scaling = 1)
    {
        ArgumentNullException.ThrowIfNull(branch);
        using (branch)
        {
            using var baseOut = BaseModule.Forward(input);
            if (scaling == 1) return baseOut.Add(branch);
            using var scaled = branch.Mul(scaling);
            return baseOut.Add(scaled);
        }
    }

    /// <summary>ΔW with the base weight's shape (<see cref="BaseWeight"/>: (out, in) for a Linear), scaling included, as a new tensor; it may be in a wider dtype than the weight (fp32 for bf16), and the merge then adds in that dtype and rounds once.</summary>
    public abstract Tensor DeltaWeight();

    /// <summary>Δb with the base bias's shape, or null when the method leaves the bias alone.</summary>
    public virtual Tensor? DeltaBias() => null;

    /// <summary>The layer's size in the method's own terms for listings (e.g. <c>r=8</c>, SVFit's per-matrix <c>r=235</c>); null: nothing to add.</summary>
    public virtual string? SizeLabel => null;

    /// <summary>Folds the update into the base: W₀ ← W₀ + ΔW (and b ← b + Δb). No-op when already merged.</summary>
    public void Merge()
    {
        if (Merged) return;
        if (!Enabled) throw new InvalidOperationException("cannot merge a disabled adapter; enable it first");
        Apply(+1);
        Merged = true;
    }

    /// <summary>Takes the update out again: W₀ ← W₀ − ΔW (and b ← b − Δb). No-op when not merged.</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        Apply(-1);
        Merged = false;
    }

    /// <summary>Enables or disables the branch; a merged layer is unmerged first so "disabled" always means the base.</summary>
    public void SetEnabled(bool enabled)
    {
        if (!enabled) Unmerge();
        Enabled = enabled;
    }

    private void Apply(int sign)
    {
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        AddInPlace(BaseWeight.Value, DeltaWeight(), sign);
        if (DeltaBias() is { } db)
        {
            var b = BaseBias?.Value ?? throw new InvalidOperationException("the method returned a bias update but the base layer has no bias");
            AddInPlace(b, db, sign);
        }
    }

    // A delta in a wider dtype (fp32 for bf16 weights) is added in that dtype, then rounded once.
    private static void AddInPlace(Tensor target, Tensor delta, int sign)
    {
        if (delta.DType == target.DType) target.Add_(delta, sign);
        else target.Copy_(target.To(delta.DType).Add(delta, sign));
    }
}
