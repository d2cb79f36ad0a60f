// P/Invoke declarations for src/native/shim_nn.cpp (blittable signatures only).
using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_conv2d(nint x, nint w, nint b, long sh, long sw, long ph, long pw, long dh, long dw, long groups, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_max_pool2d(nint x, long kh, long kw, long sh, long sw, long ph, long pw, long dh, long dw, int ceil_mode, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_avg_pool2d(nint x, long kh, long kw, long sh, long sw, long ph, long pw, int ceil_mode, int count_include_pad, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_layer_norm(nint x, long* shape, int ndim, nint w, nint b, double eps, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_rms_norm(nint x, long ndims, nint w, double eps, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_embedding(nint w, nint indices, long padding_idx, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_dropout(nint x, double p, int train, nint gen, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_cross_entropy(nint logits, nint target, nint weight, long reduction, long ignore_index, double label_smoothing, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_nll_loss(nint log_probs, nint target, nint weight, long reduction, long ignore_index, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_mse_loss(nint a, nint b, long reduction, nint* @out);
    [LibraryImport(ShimLibrary.Name)] internal static partial int ts_sdpa(nint q, nint k, nint v, nint mask, double dropout_p, int is_causal, double scale, int enable_gqa, nint* @out);
}
