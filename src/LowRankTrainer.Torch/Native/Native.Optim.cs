// P/Invoke declarations for src/native/shim_optim.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_adamw_step(nint* @params, nint* exp_avg, nint* exp_avg_sq, long* steps, int n, double lr, double beta1, double beta2, double eps, double weight_decay);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_adamw_step_fused(nint* @params, nint* exp_avg, nint* exp_avg_sq, long* steps, int n, double lr, double beta1, double beta2, double eps, double weight_decay);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_sgd_step(nint* @params, nint* momentum_buffers, int n, double lr, double momentum, double dampening, double weight_decay, int nesterov);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_clip_grad_norm(nint* @params, int n, double max_norm, double norm_type, double* total_norm_out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_clip_grad_norm_t(nint* @params, int n, double max_norm, double norm_type, nint* @out);
}
