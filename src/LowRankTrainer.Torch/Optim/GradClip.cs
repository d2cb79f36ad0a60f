using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Optim;

/// <summary>Gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
public static unsafe class GradClip
{
    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> in place so that their global norm (the
    /// <paramref name="normType"/>-norm of all gradients concatenated; <see cref="double.PositiveInfinity"/>
    /// for the max-norm) is at most <paramref name="maxNorm"/>: every gradient is multiplied by
    /// min(1, maxNorm / (total + 1e-6)). Parameters without a gradient are ignored. One native call.
    /// </summary>
    /// <returns>The global norm before clipping (0 when no parameter has a gradient).</returns>
    /// <remarks>Returning a double reads the norm back to the host, a device synchronisation on CUDA.</remarks>
    public static double ClipGradNorm(IReadOnlyList<Tensor> parameters, double maxNorm, double normType = 2.0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "the norm type must be positive");
        Span<nint> handles = parameters.Count <= 256 ? stackalloc nint[parameters.Count] : new nint[parameters.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = parameters[i].Handle;
        double total;
        fixed (nint* p = handles)
        {
            ShimLibrary.Check(NativeMethods.ts_clip_grad_norm(p, handles.Length, maxNorm, normType, &total));
        }
        return total;
    }

    /// <summary>Clips the gradients of every parameter an optimizer updates (see the list overload).</summary>
    public static double ClipGradNorm(IOptimizer optimizer, double maxNorm, double normType = 2.0)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var all = optimizer is Optimizer o ? o.Parameters : optimizer.ParamGroups.SelectMany(g => g.Parameters).ToArray();
        return ClipGradNorm(all, maxNorm, normType);
    }
}
