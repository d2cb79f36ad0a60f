namespace LowRankTrainer.Adapters.Lotr;

/// <summary>How LoTR's shared factors A and B are drawn (the core G always starts at zero, so ΔW = 0 at step 0).</summary>
public enum LotrInit
{
    /// <summary>A, B ~ N(0, 1), the reference code's default (daskol/lotr <c>LoTR.__init__</c>: <c>init.normal_</c>).</summary>
    Normal,

    /// <summary>A ~ N(0, 1/d_out), B ~ N(0, 1/d_in): unit-norm-scale columns, independent of the width.</summary>
    Scaled,
}

/// <summary>
/// LoTR's hyperparameters (Bershatsky, Cherniuk, Daulbaev, Mikhalev, Oseledets 2024, "LoTR: Low Tensor Rank Weight
/// Adaptation"; code daskol/lotr): the targets are grouped by shape (d_out, d_in); each group's updates form the
/// Tucker-2 tensor ΔW_s = (scale/r)·A G_s Bᵀ with A ∈ ℝ^{d_out×r}, B ∈ ℝ^{d_in×r} shared by the group and a core
/// G_s ∈ ℝ^{r×r} per layer. Trainable per group of L layers: r·(d_in + d_out) + L·r².
/// </summary>
public sealed record LotrOptions : AdapterOptions
{
    /// <summary>The rank r (<c>r</c>, default 8).</summary>
    public int R { get; init; } = 8;

    /// <summary>The reference's <c>scale</c> (<c>lotr_scale</c>, default 1): the branch is multiplied by scale/r.</summary>
    public double Scale { get; init; } = 1;

    /// <summary>How A and B are drawn (<c>lotr_init</c>: <c>normal</c>, the default, or <c>scaled</c>).</summary>
    public LotrInit Init { get; init; } = LotrInit.Normal;

    /// <summary>s = scale / r.</summary>
    public double Scaling => Scale / R;
}
