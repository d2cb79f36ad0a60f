using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// Autograd: leaves, backward, gradients, detaching.
public sealed unsafe partial class Tensor
{
    /// <summary>Whether autograd records operations on this tensor (settable on leaves).</summary>
    public bool RequiresGrad
    {
        get
        {
            int dtype, devType, devIndex, ndim, requiresGrad;
            ShimLibrary.Check(NativeMethods.ts_tensor_info(Handle, &dtype, &devType, &devIndex, &ndim, &requiresGrad));
            return requiresGrad != 0;
        }
        set => ShimLibrary.Check(NativeMethods.ts_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this (PyTorch's requires_grad_()).</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>True for tensors created by the user rather than by a recorded operation.</summary>
    public bool IsLeaf
    {
        get
        {
            int r;
            ShimLibrary.Check(NativeMethods.ts_is_leaf(Handle, &r));
            return r != 0;
        }
    }

    /// <summary>
    /// Accumulates d(this)/d(leaf) into every leaf's <see cref="Grad"/>. A null gradient means 1 (this
    /// must then be a scalar); <paramref name="retainGraph"/> keeps the graph for another backward.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        ShimLibrary.Check(NativeMethods.ts_backward(Handle, gradient?.Handle ?? 0, retainGraph ? 1 : 0, createGraph ? 1 : 0));

    /// <summary>
    /// A new handle on the accumulated gradient (the caller owns it and must dispose it), or null when
    /// no gradient has been computed. Setting it replaces the gradient (null clears it).
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            nint r;
            ShimLibrary.Check(NativeMethods.ts_grad(Handle, &r));
            return r == 0 ? null : new Tensor(r);
        }
        set => ShimLibrary.Check(NativeMethods.ts_set_grad(Handle, value?.Handle ?? 0));
    }

    /// <summary>
    /// The autograd node that produced this tensor, as PyTorch names it (<c>AddBackward0</c>), or
    /// null for leaves and tensors outside the graph.
    /// </summary>
    public string? GradFnName
    {
        get
        {
            var h = Handle;
            var name = ShimLibrary.ReadString((buf, cap, needed) => NativeMethods.ts_grad_fn_name(h, buf, cap, needed));
            return name.Length == 0 ? null : name;
        }
    }

    /// <summary>A new tensor sharing storage but cut from the autograd graph.</summary>
    public Tensor Detach() => Unary(&NativeMethods.ts_detach);

    /// <summary>Cuts this tensor from the autograd graph in place.</summary>
    public Tensor Detach_()
    {
        ShimLibrary.Check(NativeMethods.ts_detach_(Handle));
        return this;
    }
}

/// <summary>Process-wide autograd switches (thread-local in libtorch, as in PyTorch).</summary>
public static unsafe class Autograd
{
    /// <summary>Whether operations on this thread are recorded for backward.</summary>
    public static bool IsGradEnabled
    {
        get
        {
            int r;
            ShimLibrary.Check(NativeMethods.ts_is_grad_enabled(&r));
            return r != 0;
        }
    }

    /// <summary>Disables gradient recording on this thread until the returned scope is disposed (torch.no_grad()).</summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Enables gradient recording on this thread until the returned scope is disposed (torch.enable_grad()).</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>
    /// Clears the gradients of many tensors in one native call: set to none (PyTorch 2.x's default:
    /// no memory kept, next backward writes fresh) or zeroed in place.
    /// </summary>
    public static void ZeroGrad(IReadOnlyList<Tensor> tensors, bool setToNone = true)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Span<nint> handles = tensors.Count <= 256 ? stackalloc nint[tensors.Count] : new nint[tensors.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = tensors[i].Handle;
        fixed (nint* p = handles)
        {
            ShimLibrary.Check(NativeMethods.ts_zero_grad(p, handles.Length, setToNone ? 1 : 0));
        }
    }
}

/// <summary>Restores the previous grad mode on dispose.</summary>
public readonly unsafe struct GradModeScope : IDisposable
{
    private readonly int _previous;

    internal GradModeScope(bool enabled)
    {
        int previous;
        ShimLibrary.Check(NativeMethods.ts_set_grad_enabled(enabled ? 1 : 0, &previous));
        _previous = previous;
    }

    /// <summary>Restores the grad mode that was in force before.</summary>
    public void Dispose()
    {
        int ignored;
        ShimLibrary.Check(NativeMethods.ts_set_grad_enabled(_previous, &ignored));
    }
}
