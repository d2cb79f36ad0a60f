using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Lotr;

/// <summary>
/// A Linear layer with a LoTR branch (Bershatsky et al. 2024; daskol/lotr <c>LoTRLinear</c>):
/// y = W₀x + b + s·A G Bᵀ x with A (d_out, r) and B (d_in, r) shared by the layer's group (the same
/// <see cref="Parameter"/> objects in every member), the core G (r, r) its own, and s = scale/r. Computed as
/// ((x B) Gᵀ) Aᵀ, the reference's <c>((x @ rhs) @ mid) @ lhs</c> with lhs = Aᵀ, mid = Gᵀ, rhs = B.
/// </summary>
/// <remarks>
/// Tensors relative to the layer: <c>lotr_A</c>, <c>lotr_B</c> (shared; the checkpoint stores them once per group as
/// <c>lotr_A.&lt;g&gt;</c>, <c>lotr_B.&lt;g&gt;</c>) and <c>lotr_G</c> (per layer). G = 0 at init, so ΔW = 0 and, as with
/// LoRA's B = 0, the first step moves only the cores.
/// </remarks>
public sealed class LotrLinear : AdapterLayer
{
    /// <summary>Wraps <paramref name="baseLayer"/> with the group factors <paramref name="a"/>, <paramref name="b"/> and a zero core.</summary>
    internal LotrLinear(Linear baseLayer, Parameter a, Parameter b, int r, double scaling)
        : base(baseLayer)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.Value.Shape.SequenceEqual([baseLayer.OutFeatures, (long)r]) || !b.Value.Shape.SequenceEqual([baseLayer.InFeatures, (long)r]))
        {
            throw new ArgumentException($"lotr: group factors A ({string.Join(", ", a.Value.Shape)}), B ({string.Join(", ", b.Value.Shape)}) do not fit a {baseLayer.OutFeatures}×{baseLayer.InFeatures} layer at r = {r}");
        }
        R = r;
        Scaling = scaling;
        var w = BaseLayer.Weight.Value;
        A = RegisterParameter("lotr_A", a);
        B = RegisterParameter("lotr_B", b);
        using var suspended = DisposeScope.Suspend();
        G = RegisterParameter("lotr_G", Tensor.Zeros([r, r], w.DType, w.Device));
    }

    /// <summary>The rank r.</summary>
    public int R { get; }

    /// <summary>s = scale / r.</summary>
    public double Scaling { get; }

    /// <summary>The group's A, (d_out, r).</summary>
    public Parameter A { get; }

    /// <summary>The group's B, (d_in, r).</summary>
    public Parameter B { get; }

    /// <summary>This layer's core G, (r, r).</summary>
    public Parameter G { get; }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors() => [("lotr_A", A), ("lotr_B", B), ("lotr_G", G)];

    /// <inheritdoc/>
    protected override Tensor AdaptedForward(Tensor input)
    {
        using var down = input.MatMul(B.Value);
        using var core = Tensor.Linear(down, G.Value);
        return BasePlus(input, Tensor.Linear(core, A.Value), Scaling);
    }

    /// <summary>ΔW = s·A G Bᵀ, (d_out, d_in); in fp32 for half-precision factors, then rounded once by the merge.</summary>
    public override Tensor DeltaWeight()
    {
        var (a, g, b) = (A.Value, G.Value, B.Value);
        if (a.DType is DType.BFloat16 or DType.Float16) (a, g, b) = (a.To(DType.Float32), g.To(DType.Float32), b.To(DType.Float32));
        return a.Mm(g).Mm(b.MT) * Scaling;
    }
}
