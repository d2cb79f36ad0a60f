namespace LowRankTrainer.Adapters.LoraXs;

/// <summary>
/// LoRA-XS's hyperparameters (Bałazy et al. 2024, "LoRA-XS: Low-Rank Adaptation with Extremely Small Number
/// of Parameters", arXiv 2405.17604; init as in the LoRA-SB code, Ponkshe, Singhal et al. 2024, arXiv
/// 2411.19557): W' = W₀ + s·B·R·A with the frozen factors from the truncated SVD W₀ ≈ U_r Σ_r V_rᵀ,
/// B = U_r ∈ ℝ^{d_out×r}, A = Σ_r V_rᵀ ∈ ℝ^{r×d_in}, and only R ∈ ℝ^{r×r} trainable (r² per adapted matrix).
/// </summary>
public sealed record LoraXsOptions : AdapterOptions
{
    /// <summary>The rank r (PEFT-style <c>r</c>, default 8); at most min(d_in, d_out) of every target.</summary>
    public int R { get; init; } = 8;

    /// <summary>α (<c>lora_alpha</c>); the branch is scaled by s = α/r. Null (the default) means α = r, s = 1, as the LoRA-SB scripts force.</summary>
    public double? Alpha { get; init; }

    /// <summary>Standard deviation of R's Gaussian init, R ~ N(0, std²) (the reference's <c>init_module_weights(sigma=1e-5)</c>); 0 gives R = 0 and ΔW = 0 exactly.</summary>
    public double InitStd { get; init; } = 1e-5;

    /// <summary>Per-module ranks, regex key → r (PEFT <c>rank_pattern</c>).</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>The rank of module <paramref name="moduleName"/>, after <see cref="RankPattern"/>.</summary>
    public int RankOf(string moduleName) => PatternLookup.Resolve(RankPattern, moduleName, R);

    /// <summary>s = α/r, with α = r (s = 1) when <see cref="Alpha"/> is null.</summary>
    public double ScalingOf(int r) => (Alpha ?? r) / r;
}
