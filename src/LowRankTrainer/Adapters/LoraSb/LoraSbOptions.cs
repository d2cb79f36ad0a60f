namespace LowRankTrainer.Adapters.LoraSb;

/// <summary>
/// LoRA-SB's hyperparameters (Ponkshe, Singhal et al. 2024, "Initialization using Update Approximation is a Silver
/// Bullet for Extremely Efficient Low-Rank Fine-Tuning", arXiv 2411.19557): W' = W₀ + B·R·A with B ∈ ℝ^{d_out×r}, A ∈ ℝ^{r×d_in}
/// frozen and orthonormal and R ∈ ℝ^{r×r} trainable, initialised from the truncated SVD of the approximated first full
/// fine-tuning step ΔW = −η·sign(G) ≈ U_r S_r V_rᵀ: B = U_r, A = V_rᵀ, R = diag(S_r); scale α/r = 1 (the reference forces α = r).
/// </summary>
public sealed record LoraSbOptions : AdapterOptions
{
    /// <summary>The rank r (PEFT-style <c>r</c>, default 8); at most min(d_in, d_out) of every target.</summary>
    public int R { get; init; } = 8;

    /// <summary>How many training samples the gradient estimate G sums over (<c>lora_sb_num_samples</c>, default 64).</summary>
    public int NumSamples { get; init; } = 64;

    /// <summary>
    /// The gradient estimate for the init; not saved. Null builds zero factors (B = A = R = 0), which only a checkpoint
    /// load may fill: <see cref="LoraSbMethod.Inject"/> accepts null so that <see cref="AdapterCheckpoint.Load"/> and resume work.
    /// </summary>
    public IAdapterInitContext? InitContext { get; init; }
}
