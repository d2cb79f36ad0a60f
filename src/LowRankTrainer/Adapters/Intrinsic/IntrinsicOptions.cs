namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>How the random projection P ∈ ℝ^{D×d} of the intrinsic subspace is built (Li et al. 2018, <c>--denseproj | --sparseproj | --fastfoodproj</c>).</summary>
public enum IntrinsicProjectionKind
{
    /// <summary>Fastfood, P = H G Π H B (O(D) memory, O(D log D) per step; the default, as in Li et al.'s large runs and Aghajanyan et al.).</summary>
    Fastfood,

    /// <summary>A stored dense Gaussian P with unit-norm columns over the whole D (D·d floats; refused above <see cref="IntrinsicOptions.MaxProjectionMb"/>).</summary>
    Dense,

    /// <summary>A stored very sparse ±1 P (density 1/√D_t per parameter tensor, Li et al.'s scikit-learn <c>SparseRandomProjection</c>), unit-norm columns over the whole D.</summary>
    Sparse,
}

/// <summary>
/// The intrinsic-subspace method's hyperparameters (Li, Farkhoor, Liu, Yosinski 2018, "Measuring the Intrinsic
/// Dimension of Objective Landscapes"; Aghajanyan, Zettlemoyer, Gupta 2021, "Intrinsic Dimensionality Explains the
/// Effectiveness of Language Model Fine-Tuning"): θ^D = θ0^D + P θ^d over the weights and biases of every target
/// (default <c>all</c>: every Linear, head included, and every Conv2d), θ^d = 0 at init, P random and frozen, regenerated from the
/// projection seed (only θ^d, and SAID's λ, are saved).
/// </summary>
public sealed record IntrinsicOptions : AdapterOptions
{
    /// <summary>Creates the options with every default; targets every Linear and Conv2d of the model (<c>all</c>).</summary>
    public IntrinsicOptions() => TargetModules = [TargetSelector.All];

    /// <summary>
    /// The intrinsic dimension d: the number of trainable values (default 1000). DID trains θ^d ∈ ℝ^d; SAID trains
    /// θ^{d−m} plus m scales, m = the number of projected parameter tensors, so d must exceed m.
    /// </summary>
    public int D { get; init; } = 1000;

    /// <summary>The projection (default <see cref="IntrinsicProjectionKind.Fastfood"/>).</summary>
    public IntrinsicProjectionKind Projection { get; init; } = IntrinsicProjectionKind.Fastfood;

    /// <summary>
    /// SAID (Aghajanyan et al.): θ_i = θ0_i + λ_i (P θ^{d−m})_i with one trainable λ_i per parameter tensor, λ = 1 at
    /// init, counted within d. False (the default): DID, θ = θ0 + P θ^d.
    /// </summary>
    public bool Said { get; init; }

    /// <summary>Seed of the generator that draws P; null (the default) uses <see cref="AdapterOptions.InitSeed"/>. Written to <c>adapter_config.json</c> so a load regenerates P.</summary>
    public ulong? ProjectionSeed { get; init; }

    /// <summary>The memory a stored projection (dense, sparse) may take, in MiB (default 256); a larger one is refused with a suggestion to use Fastfood.</summary>
    public int MaxProjectionMb { get; init; } = 256;

    /// <summary>The seed P is drawn from: <see cref="ProjectionSeed"/>, else <see cref="AdapterOptions.InitSeed"/>.</summary>
    public ulong EffectiveProjectionSeed => ProjectionSeed ?? InitSeed;
}
