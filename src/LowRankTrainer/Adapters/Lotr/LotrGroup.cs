using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Lotr;

/// <summary>
/// The factors one group of same-shape layers shares: A (d_out, r) as <c>lotr_A</c> and B (d_in, r) as <c>lotr_B</c>,
/// trainable, held by this module's slots and registered by each member layer as the same <see cref="Parameter"/>
/// objects (the reference's <c>LoTR.from_lotr</c>, which reuses <c>lhs</c>/<c>rhs</c>).
/// </summary>
internal sealed class LotrGroup : Module
{
    public LotrGroup(long outFeatures, long inFeatures, LotrOptions options, Tensor like, Generator generator)
    {
        var (stdA, stdB) = options.Init == LotrInit.Scaled ? (1 / Math.Sqrt(outFeatures), 1 / Math.Sqrt(inFeatures)) : (1.0, 1.0);
        using var suspended = DisposeScope.Suspend();
        using var noGrad = Autograd.NoGrad();
        A = RegisterParameter("lotr_A", Tensor.Empty([outFeatures, options.R], like.DType, like.Device).Normal_(0, stdA, generator));
        B = RegisterParameter("lotr_B", Tensor.Empty([inFeatures, options.R], like.DType, like.Device).Normal_(0, stdB, generator));
    }

    /// <summary>A, (d_out, r).</summary>
    public Parameter A { get; }

    /// <summary>B, (d_in, r).</summary>
    public Parameter B { get; }
}
