using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.LoraXs;

/// <summary>The reduced SVD of a weight computed in float64 (exact <c>linalg.svd</c>, not a randomized one), shared by the SVD-initialised methods.</summary>
internal static class TruncatedSvd
{
    /// <summary>W = U·diag(S)·Vh in float64 on W's device: U (d_out, m), S (m), Vh (m, d_in), m = min(d_out, d_in), singular values descending.</summary>
    public static (Tensor U, Tensor S, Tensor Vh) Full(Tensor weight)
    {
        using var noGrad = Autograd.NoGrad();
        return Linalg.Svd(weight.Detach().To(DType.Float64));
    }

    /// <summary>The top-<paramref name="r"/> triplets: U_r (d_out, r), S_r (r), Vh_r (r, d_in), float64.</summary>
    public static (Tensor U, Tensor S, Tensor Vh) Top(Tensor weight, int r)
    {
        var (u, s, vh) = Full(weight);
        return (u.Narrow(1, 0, r).Contiguous(), s.Narrow(0, 0, r).Contiguous(), vh.Narrow(0, 0, r).Contiguous());
    }
}
