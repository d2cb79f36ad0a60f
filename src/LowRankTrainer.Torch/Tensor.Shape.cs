using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// Shape and stride operations (mostly views sharing storage), joining and splitting.
public sealed unsafe partial class Tensor
{
    private Tensor WithShape(ReadOnlySpan<long> shape, delegate*<nint, long*, int, nint*, int> op)
    {
        nint r;
        fixed (long* p = shape)
        {
            return Wrap(op(Handle, p, shape.Length, &r), r);
        }
    }

    /// <summary>Same elements in a new shape (a view when possible); one size may be −1.</summary>
    public Tensor Reshape(params ReadOnlySpan<long> shape) => WithShape(shape, &NativeMethods.ts_reshape);
    /// <summary>A view with a new shape; fails when the strides do not allow it.</summary>
    public Tensor View(params ReadOnlySpan<long> shape) => WithShape(shape, &NativeMethods.ts_view);
    /// <summary>A view with dims reordered.</summary>
    public Tensor Permute(params ReadOnlySpan<long> dims) => WithShape(dims, &NativeMethods.ts_permute);
    /// <summary>A broadcast view to a larger shape (−1 keeps a size).</summary>
    public Tensor Expand(params ReadOnlySpan<long> shape) => WithShape(shape, &NativeMethods.ts_expand);

    /// <summary>A view with two dims swapped.</summary>
    public Tensor Transpose(long dim0, long dim1)
    {
        nint r;
        return Wrap(NativeMethods.ts_transpose(Handle, dim0, dim1, &r), r);
    }

    /// <summary>The matrix transpose of the last two dims.</summary>
    public Tensor MT => Transpose(-2, -1);

    /// <summary>A view of <paramref name="length"/> entries of a dim from <paramref name="start"/>.</summary>
    public Tensor Narrow(long dim, long start, long length)
    {
        nint r;
        return Wrap(NativeMethods.ts_narrow(Handle, dim, start, length, &r), r);
    }

    /// <summary>A view of entries start, start+step, ... below end along a dim (Python's a[start:end:step]).</summary>
    public Tensor Slice(long dim, long start, long end, long step = 1)
    {
        nint r;
        return Wrap(NativeMethods.ts_slice(Handle, dim, start, end, step, &r), r);
    }

    /// <summary>The view at one index of a dim, with that dim removed.</summary>
    public Tensor Select(long dim, long index)
    {
        nint r;
        return Wrap(NativeMethods.ts_select(Handle, dim, index, &r), r);
    }

    /// <summary>A view with a size-1 dim inserted.</summary>
    public Tensor Unsqueeze(long dim)
    {
        nint r;
        return Wrap(NativeMethods.ts_unsqueeze(Handle, dim, &r), r);
    }

    /// <summary>A view with every size-1 dim removed.</summary>
    public Tensor Squeeze() => Unary(&NativeMethods.ts_squeeze);

    /// <summary>A view with one dim removed if its size is 1.</summary>
    public Tensor Squeeze(long dim)
    {
        nint r;
        return Wrap(NativeMethods.ts_squeeze_dim(Handle, dim, &r), r);
    }

    /// <summary>Dims start..end merged into one.</summary>
    public Tensor Flatten(long startDim = 0, long endDim = -1)
    {
        nint r;
        return Wrap(NativeMethods.ts_flatten(Handle, startDim, endDim, &r), r);
    }

    /// <summary>A contiguous (row-major) tensor with the same elements: this data if already contiguous.</summary>
    public Tensor Contiguous() => Unary(&NativeMethods.ts_contiguous);

    /// <summary>True when the elements are laid out row-major without gaps.</summary>
    public bool IsContiguous
    {
        get
        {
            int r;
            ShimLibrary.Check(NativeMethods.ts_is_contiguous(Handle, &r));
            return r != 0;
        }
    }

    // ---- joining ----

    private static Tensor Join(ReadOnlySpan<Tensor> tensors, long dim, delegate*<nint*, int, long, nint*, int> op)
    {
        Span<nint> handles = tensors.Length <= 64 ? stackalloc nint[tensors.Length] : new nint[tensors.Length];
        for (var i = 0; i < tensors.Length; i++) handles[i] = NotNull(tensors[i]).Handle;
        nint r;
        fixed (nint* p = handles)
        {
            return Wrap(op(p, handles.Length, dim, &r), r);
        }
    }

    /// <summary>Concatenates along an existing dim.</summary>
    public static Tensor Cat(ReadOnlySpan<Tensor> tensors, long dim = 0) => Join(tensors, dim, &NativeMethods.ts_cat);

    /// <summary>Stacks along a new dim.</summary>
    public static Tensor Stack(ReadOnlySpan<Tensor> tensors, long dim = 0) => Join(tensors, dim, &NativeMethods.ts_stack);

    // ---- splitting ----

    /// <summary>Runs a list-returning shim call into a buffer, retrying with the size it reports.</summary>
    internal static Tensor[] CollectList(Func<IntPtr, int, IntPtr, int> call)
    {
        var capacity = 16;
        while (true)
        {
            var buffer = new nint[capacity];
            int count;
            int status;
            fixed (nint* p = buffer)
            {
                status = call((IntPtr)p, capacity, (IntPtr)(&count));
            }
            if (status == 4)
            {
                capacity = count;
                continue;
            }
            ShimLibrary.Check(status);
            var result = new Tensor[count];
            for (var i = 0; i < count; i++) result[i] = new Tensor(buffer[i]);
            return result;
        }
    }

    /// <summary>Splits into pieces of <paramref name="size"/> along a dim (the last may be smaller); views.</summary>
    public Tensor[] Split(long size, long dim = 0)
    {
        var h = Handle;
        return CollectList((buf, cap, count) => NativeMethods.ts_split(h, size, dim, (nint*)buf, cap, (int*)count));
    }

    /// <summary>Splits into pieces of the given sizes along a dim; views.</summary>
    public Tensor[] Split(long[] sizes, long dim = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var h = Handle;
        return CollectList((buf, cap, count) =>
        {
            fixed (long* s = sizes)
            {
                return NativeMethods.ts_split_sizes(h, s, sizes.Length, dim, (nint*)buf, cap, (int*)count);
            }
        });
    }

    /// <summary>Splits into at most <paramref name="chunks"/> near-equal pieces along a dim; views.</summary>
    public Tensor[] Chunk(long chunks, long dim = 0)
    {
        var h = Handle;
        return CollectList((buf, cap, count) => NativeMethods.ts_chunk(h, chunks, dim, (nint*)buf, cap, (int*)count));
    }
}
