namespace LowRankTrainer.Adapters.RandLora;

/// <summary>How RandLoRA's branch is scaled.</summary>
public enum RandLoraScaling
{
    /// <summary>s = randlora_alpha / r (PEFT's <c>RandLoraLayer.update_layer</c>; PEFT's default α = 640, "typically 20× the rank").</summary>
    Peft,

    /// <summary>s = 2/√n with n the layer's number of bases (the paper's App. C.4 and the official code's α/r/√n with α = 2r); randlora_alpha is not used.</summary>
    Paper,
}

/// <summary>
/// RandLoRA's hyperparameters (Albert et al., "RandLoRA: Full-rank parameter-efficient fine-tuning of large models",
/// ICLR 2025) with PEFT's <c>RandLoraConfig</c> names and defaults. Per adapted W₀ ∈ ℝ^{d_out×d_in}, m = min(d_in, d_out),
/// n = ⌈m / r⌉: ΔW = s·Σ_j B_j Λ_j A Γ_j with frozen random bases B_j ∈ ℝ^{M×r}, A ∈ ℝ^{r×m} shared by every layer, and
/// trainable diagonals λ ∈ ℝ^{r×n}, γ ∈ ℝ^{n×m} on the smaller dimension. Trainable per matrix: r·n + n·m.
/// </summary>
public sealed record RandLoraOptions : AdapterOptions
{
    /// <summary>The base rank r (PEFT <c>r</c>, default 32); a larger r means fewer bases n and fewer trainable values.</summary>
    public int R { get; init; } = 32;

    /// <summary>α of the PEFT scaling s = α/r (PEFT <c>randlora_alpha</c>, default 640); unused with <see cref="RandLoraScaling.Paper"/>.</summary>
    public double Alpha { get; init; } = 640;

    /// <summary>Dropout probability on the branch's input only (PEFT <c>randlora_dropout</c>).</summary>
    public double Dropout { get; init; }

    /// <summary>Which scaling (<c>randlora_scaling</c>: <c>peft</c> or <c>paper</c>; not a PEFT field, PEFT is <c>peft</c>).</summary>
    public RandLoraScaling Scaling { get; init; } = RandLoraScaling.Peft;

    /// <summary>Seed of the shared bases (PEFT <c>projection_prng_key</c>, default 0); independent of <see cref="AdapterOptions.InitSeed"/>.</summary>
    public ulong ProjectionPrngKey { get; init; }

    /// <summary>Store the shared bases in the checkpoint (PEFT <c>save_projection</c>, default true); false regenerates them from <see cref="ProjectionPrngKey"/> on load.</summary>
    public bool SaveProjection { get; init; } = true;

    /// <summary>Ternary bases with P(±1) = 1/6 each, P(0) = 2/3 (PEFT <c>sparse</c>, s = 3), divided by their std.</summary>
    public bool Sparse { get; init; }

    /// <summary>Ternary bases with P(±1) = 1/(2√m) each, m the largest min dimension (PEFT <c>very_sparse</c>), divided by their std.</summary>
    public bool VerySparse { get; init; }

    /// <summary>The number of bases n = ⌈m / r⌉ of a matrix whose smaller dimension is <paramref name="minDim"/>, so that n·r ≥ m (full rank).</summary>
    public static int NumBases(long minDim, int r) => (int)((minDim + r - 1) / r);

    /// <summary>The branch's scale for a layer with <paramref name="numBases"/> bases.</summary>
    public double ScalingFor(int numBases) => Scaling == RandLoraScaling.Paper ? 2.0 / Math.Sqrt(numBases) : Alpha / R;
}
