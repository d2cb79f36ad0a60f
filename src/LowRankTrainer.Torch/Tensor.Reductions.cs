using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// Reductions over all elements or over dims (negative dims count from the end), with keepdim.
public sealed unsafe partial class Tensor
{
    private Tensor OverDims(ReadOnlySpan<long> dims, bool keepDim, delegate*<nint, long*, int, int, nint*, int> op)
    {
        nint r;
        fixed (long* d = dims)
        {
            return Wrap(op(Handle, d, dims.Length, keepDim ? 1 : 0, &r), r);
        }
    }

    /// <summary>Sum of all elements (a 0-dim tensor).</summary>
    public Tensor Sum() => Unary(&NativeMethods.ts_sum_all);
    /// <summary>Sum over dims.</summary>
    public Tensor Sum(ReadOnlySpan<long> dims, bool keepDim = false) => OverDims(dims, keepDim, &NativeMethods.ts_sum);
    /// <summary>Sum over one dim.</summary>
    public Tensor Sum(long dim, bool keepDim = false) => Sum([dim], keepDim);
    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => Unary(&NativeMethods.ts_mean_all);
    /// <summary>Mean over dims.</summary>
    public Tensor Mean(ReadOnlySpan<long> dims, bool keepDim = false) => OverDims(dims, keepDim, &NativeMethods.ts_mean);
    /// <summary>Mean over one dim.</summary>
    public Tensor Mean(long dim, bool keepDim = false) => Mean([dim], keepDim);
    /// <summary>Largest element.</summary>
    public Tensor Max() => Unary(&NativeMethods.ts_max_all);
    /// <summary>Smallest element.</summary>
    public Tensor Min() => Unary(&NativeMethods.ts_min_all);
    /// <summary>Product of all elements.</summary>
    public Tensor Prod() => Unary(&NativeMethods.ts_prod_all);
    /// <summary>log Σ exp(x) over dims, computed stably.</summary>
    public Tensor LogSumExp(ReadOnlySpan<long> dims, bool keepDim = false) => OverDims(dims, keepDim, &NativeMethods.ts_logsumexp);
    /// <summary>True if any element is nonzero (a 0-dim bool tensor).</summary>
    public Tensor Any() => Unary(&NativeMethods.ts_any);
    /// <summary>True if every element is nonzero.</summary>
    public Tensor All() => Unary(&NativeMethods.ts_all);
    /// <summary>Index of the largest element of the flattened tensor.</summary>
    public Tensor ArgMax() => Unary(&NativeMethods.ts_argmax_all);

    /// <summary>Index of the largest element along a dim.</summary>
    public Tensor ArgMax(long dim, bool keepDim = false)
    {
        nint r;
        return Wrap(NativeMethods.ts_argmax(Handle, dim, keepDim ? 1 : 0, &r), r);
    }

    /// <summary>Index of the smallest element along a dim.</summary>
    public Tensor ArgMin(long dim, bool keepDim = false)
    {
        nint r;
        return Wrap(NativeMethods.ts_argmin(Handle, dim, keepDim ? 1 : 0, &r), r);
    }

    /// <summary>Cumulative sum along a dim.</summary>
    public Tensor CumSum(long dim)
    {
        nint r;
        return Wrap(NativeMethods.ts_cumsum(Handle, dim, &r), r);
    }

    /// <summary>Largest values along a dim and their indices.</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false)
    {
        nint v, i;
        ShimLibrary.Check(NativeMethods.ts_max_dim(Handle, dim, keepDim ? 1 : 0, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Smallest values along a dim and their indices.</summary>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false)
    {
        nint v, i;
        ShimLibrary.Check(NativeMethods.ts_min_dim(Handle, dim, keepDim ? 1 : 0, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>p-norm (Σ|x|ᵖ)^(1/p) over dims; no dims means all elements (p = 2: Frobenius).</summary>
    public Tensor Norm(double p = 2, ReadOnlySpan<long> dims = default, bool keepDim = false)
    {
        nint r;
        fixed (long* d = dims)
        {
            return Wrap(NativeMethods.ts_norm(Handle, p, d, dims.Length, keepDim ? 1 : 0, &r), r);
        }
    }

    /// <summary>Variance Σ(x−x̄)²/(N−1) (unbiased) or /N over dims; no dims means all elements.</summary>
    public Tensor Var(ReadOnlySpan<long> dims = default, bool unbiased = true, bool keepDim = false)
    {
        nint r;
        fixed (long* d = dims)
        {
            return Wrap(NativeMethods.ts_var(Handle, d, dims.Length, keepDim ? 1 : 0, unbiased ? 1 : 0, &r), r);
        }
    }

    /// <summary>Standard deviation: the square root of <see cref="Var"/>.</summary>
    public Tensor Std(ReadOnlySpan<long> dims = default, bool unbiased = true, bool keepDim = false)
    {
        nint r;
        fixed (long* d = dims)
        {
            return Wrap(NativeMethods.ts_std(Handle, d, dims.Length, keepDim ? 1 : 0, unbiased ? 1 : 0, &r), r);
        }
    }
}
