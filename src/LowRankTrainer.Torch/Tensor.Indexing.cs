using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// Gathering, scattering and masking.
public sealed unsafe partial class Tensor
{
    private Tensor WithDimIndex(long dim, Tensor index, delegate*<nint, long, nint, nint*, int> op)
    {
        ArgumentNullException.ThrowIfNull(index);
        nint r;
        return Wrap(op(Handle, dim, index.Handle, &r), r);
    }

    /// <summary>Entries at <paramref name="index"/> (1-D int64) along a dim.</summary>
    public Tensor IndexSelect(long dim, Tensor index) => WithDimIndex(dim, index, &NativeMethods.ts_index_select);

    /// <summary>out[i][j] = this[index[i][j]][j] for dim 0 (and likewise for other dims).</summary>
    public Tensor Gather(long dim, Tensor index) => WithDimIndex(dim, index, &NativeMethods.ts_gather);

    /// <summary>A copy with src's entries written at index along a dim (out[index[i][j]][j] = src[i][j] for dim 0).</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(src);
        nint r;
        return Wrap(NativeMethods.ts_scatter(Handle, dim, index.Handle, src.Handle, &r), r);
    }

    /// <summary>A copy with <paramref name="value"/> written at index along a dim.</summary>
    public Tensor Scatter(long dim, Tensor index, Scalar value)
    {
        ArgumentNullException.ThrowIfNull(index);
        nint r;
        return Wrap(NativeMethods.ts_scatter_scalar(Handle, dim, index.Handle, value, &r), r);
    }

    /// <summary>A copy with src's entries added at index along a dim (duplicates accumulate).</summary>
    public Tensor ScatterAdd(long dim, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(src);
        nint r;
        return Wrap(NativeMethods.ts_scatter_add(Handle, dim, index.Handle, src.Handle, &r), r);
    }

    /// <summary>A copy with <paramref name="value"/> where the bool mask is true.</summary>
    public Tensor MaskedFill(Tensor mask, Scalar value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        nint r;
        return Wrap(NativeMethods.ts_masked_fill(Handle, mask.Handle, value, &r), r);
    }

    /// <summary>Writes <paramref name="value"/> where the bool mask is true, in place.</summary>
    public Tensor MaskedFill_(Tensor mask, Scalar value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ShimLibrary.Check(NativeMethods.ts_masked_fill_(Handle, mask.Handle, value));
        return this;
    }

    /// <summary>The entries where the bool mask is true, as a 1-D tensor.</summary>
    public Tensor MaskedSelect(Tensor mask) => Binary(mask, &NativeMethods.ts_masked_select);

    /// <summary>One-hot encoding of an int64 tensor (a new last dim of size numClasses; −1 infers it).</summary>
    public Tensor OneHot(long numClasses = -1)
    {
        nint r;
        return Wrap(NativeMethods.ts_one_hot(Handle, numClasses, &r), r);
    }

    /// <summary>Elementwise choice: a where cond is true, b elsewhere (broadcasting).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        nint r;
        return Wrap(NativeMethods.ts_where(condition.Handle, a.Handle, b.Handle, &r), r);
    }

    /// <summary>
    /// PyTorch's <c>t[index]</c> with a tensor index: a bool mask over the leading dims selects those
    /// entries (e.g. rows); an int64 tensor picks entries of dim 0. Setting writes values there in place.
    /// </summary>
    public Tensor this[Tensor index]
    {
        get => Binary(index, &NativeMethods.ts_index_tensor);
        set
        {
            ArgumentNullException.ThrowIfNull(index);
            ArgumentNullException.ThrowIfNull(value);
            ShimLibrary.Check(NativeMethods.ts_index_put_(Handle, index.Handle, value.Handle));
        }
    }

    /// <summary>PyTorch's <c>t[i]</c>: the view at index i of dim 0 (negative counts from the end).</summary>
    public Tensor this[long index] => Select(0, index);
}
