using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Optim;

/// <summary>Gradient clipping by global norm, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
/// <remarks>
/// The global norm is the <c>normType</c>-norm of all gradients concatenated
/// (<see cref="double.PositiveInfinity"/> for the max-norm); every gradient is multiplied in place by
/// min(1, maxNorm / (total + 1e-6)). Parameters without a gradient are ignored. One native call.
/// </remarks>
public static unsafe class GradClip
{
    /// <summary>Clips the gradients of <paramref name="parameters"/> to a global norm of at most <paramref name="maxNorm"/>.</summary>
    /// <returns>The global norm before clipping (0 when no parameter has a gradient).</returns>
    /// <remarks>Returning a double reads the norm back to the host: a device synchronisation on CUDA
    /// (<see cref="ClipGradNormTensor"/> avoids it).</remarks>
    public static double ClipGradNorm(IReadOnlyList<Tensor> parameters, double maxNorm, double normType = 2.0)
    {
        var handles = Handles(parameters, normType);
        double total;
        fixed (nint* p = handles) ShimLibrary.Check(NativeMethods.ts_clip_grad_norm(p, handles.Length, maxNorm, normType, &total));
        return total;
    }

    /// <summary>Clips the gradients of every parameter an optimizer updates (see the list overload).</summary>
    public static double ClipGradNorm(IOptimizer optimizer, double maxNorm, double normType = 2.0) =>
        ClipGradNorm(AllParameters(optimizer), maxNorm, normType);

    /// <summary>
    /// As <see cref="ClipGradNorm(IReadOnlyList{Tensor}, double, double)"/>, returning the norm as a
    /// new 0-dim tensor on the gradients' device (no synchronisation), as PyTorch does.
    /// </summary>
    public static Tensor ClipGradNormTensor(IReadOnlyList<Tensor> parameters, double maxNorm, double normType = 2.0)
    {
        var handles = Handles(parameters, normType);
        nint r;
        fixed (nint* p = handles) ShimLibrary.Check(NativeMethods.ts_clip_grad_norm_t(p, handles.Length, maxNorm, normType, &r));
        return new Tensor(r);
    }

    private static IReadOnlyList<Tensor> AllParameters(IOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer is Optimizer o ? o.Parameters : optimizer.ParamGroups.SelectMany(g => g.Parameters).ToArray();
    }

    private static nint[] Handles(IReadOnlyList<Tensor> parameters, double normType)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "the norm type must be positive");
        var handles = new nint[parameters.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = parameters[i].Handle;
        return handles;
    }
}
