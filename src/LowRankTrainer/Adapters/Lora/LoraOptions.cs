namespace LowRankTrainer.Adapters.Lora;

/// <summary>How LoRA's A is drawn (PEFT's <c>init_lora_weights</c>); B always starts at zero, so ΔW = 0 at step 0.</summary>
public enum LoraInit
{
    /// <summary>A ~ kaiming_uniform(a = √5) = U(−1/√d_in, 1/√d_in), nn.Linear's default (PEFT's <c>true</c>).</summary>
    KaimingUniform,

    /// <summary>A ~ N(0, (1/r)²) (PEFT's <c>"gaussian"</c>).</summary>
    Gaussian,
}

/// <summary>
/// LoRA's hyperparameters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"), with
/// PEFT's <c>LoraConfig</c> names and defaults: W' = W₀ + s·B·A with A ∈ ℝ^{r×d_in}, B ∈ ℝ^{d_out×r},
/// s = α/r, or s = α/√r with rsLoRA (Kalajdzievski 2023, "A Rank Stabilization Scaling Factor for
/// Fine-Tuning with LoRA"). Trainable per adapted matrix: r·(d_in + d_out).
/// </summary>
public sealed record LoraOptions : AdapterOptions
{
    /// <summary>The rank r (PEFT <c>r</c>, default 8).</summary>
    public int R { get; init; } = 8;

    /// <summary>α (PEFT <c>lora_alpha</c>, default 8); the branch is scaled by α/r (or α/√r).</summary>
    public double Alpha { get; init; } = 8;

    /// <summary>Dropout probability on the branch's input only; the base path never sees it (PEFT <c>lora_dropout</c>).</summary>
    public double Dropout { get; init; }

    /// <summary>rsLoRA: scale by α/√r instead of α/r (PEFT <c>use_rslora</c>).</summary>
    public bool UseRsLora { get; init; }

    /// <summary>How A is initialised (PEFT <c>init_lora_weights</c>).</summary>
    public LoraInit Init { get; init; } = LoraInit.KaimingUniform;

    /// <summary>Per-module ranks, regex key → r, matched at the end of the module name (PEFT <c>rank_pattern</c>).</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>Per-module α, regex key → α (PEFT <c>alpha_pattern</c>).</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary>The rank of module <paramref name="moduleName"/>, after <see cref="RankPattern"/>.</summary>
    public int RankOf(string moduleName) => PatternLookup.Resolve(RankPattern, moduleName, R);

    /// <summary>α of module <paramref name="moduleName"/>, after <see cref="AlphaPattern"/>.</summary>
    public double AlphaOf(string moduleName) => PatternLookup.Resolve(AlphaPattern, moduleName, Alpha);

    /// <summary>s = α/r, or α/√r with rsLoRA.</summary>
    public static double Scaling(double alpha, int r, bool rsLora) => rsLora ? alpha / Math.Sqrt(r) : alpha / r;
}
