namespace LowRankTrainer.Adapters.SvFit;

/// <summary>What "the share of the matrix's information" kept by the top-r singular values measures.</summary>
public enum SvFitCriterion
{
    /// <summary>Energy: Σ_{i≤r} σ_i² / Σ_i σ_i² (the squared Frobenius norm captured; the default).</summary>
    Energy,

    /// <summary>Nuclear-norm share: Σ_{i≤r} σ_i / Σ_i σ_i.</summary>
    Sum,
}

/// <summary>
/// SVFit's hyperparameters (Sun, Wei et al. 2024, "SVFit: Parameter-Efficient Fine-Tuning of Large Pre-Trained
/// Models Using Singular Values", arXiv 2409.05926): W₀ = U Σ Vᵀ, W = U_r diag(σ) V_rᵀ + W_e with
/// W_e = W₀ − U_r Σ_r V_rᵀ frozen and only σ ∈ ℝ^r trainable, σ⁰ = Σ_r. r is <see cref="R"/> when set, otherwise
/// per matrix the smallest r whose top singular values reach <see cref="Threshold"/> of the total by <see cref="Criterion"/>.
/// </summary>
public sealed record SvFitOptions : AdapterOptions
{
    /// <summary>A fixed r for every target (capped at min(d_in, d_out)); null (the default) chooses r per matrix by <see cref="Threshold"/>.</summary>
    public int? R { get; init; }

    /// <summary>The share of the spectrum the kept singular values must reach, in (0, 1] (default 0.99, the paper's "over 99%").</summary>
    public double Threshold { get; init; } = 0.99;

    /// <summary>How the share is measured (default <see cref="SvFitCriterion.Energy"/>, Σσ²; the paper's abstract does not say).</summary>
    public SvFitCriterion Criterion { get; init; } = SvFitCriterion.Energy;

    /// <summary>
    /// Per-module r overriding <see cref="R"/> and the threshold (PEFT's <c>rank_pattern</c> rule, <see cref="PatternLookup"/>).
    /// Injection writes every layer's chosen r here (by full module name), so a saved adapter reloads with its shapes.
    /// </summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// The smallest r ≥ 1 with Σ_{i≤r} w_i ≥ threshold · Σ_i w_i, where w_i = σ_i² (energy) or σ_i (sum), for
    /// singular values in descending order; min(d_in, d_out) at most.
    /// </summary>
    public static int RankFor(IReadOnlyList<double> singularValues, double threshold, SvFitCriterion criterion)
    {
        ArgumentNullException.ThrowIfNull(singularValues);
        if (threshold is <= 0 or > 1 || double.IsNaN(threshold)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "the SVFit threshold must be in (0, 1]");
        if (singularValues.Count == 0) throw new ArgumentException("no singular values", nameof(singularValues));
        var w = singularValues.Select(s => criterion == SvFitCriterion.Energy ? s * s : s).ToArray();
        var total = w.Sum();
        double cumulative = 0;
        for (var i = 0; i < w.Length; i++)
        {
            cumulative += w[i];
            if (cumulative >= threshold * total) return i + 1;
        }
        return w.Length;
    }
}
