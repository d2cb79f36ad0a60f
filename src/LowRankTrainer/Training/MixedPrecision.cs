using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;

namespace LowRankTrainer.Training;

/// <summary>
/// <c>train.dtype</c>: the precision the forward pass and loss compute in. <c>fp32</c> is plain float32; <c>bf16</c>
/// runs them inside an <see cref="Autocast"/> region (PyTorch AMP: matmuls and linears in bfloat16, weights, gradients
/// and optimizer state in float32 — HF Trainer's <c>bf16: true</c>); <c>auto</c> is bf16 on CUDA and fp32 on the CPU
/// (where bf16 matmuls are rarely faster). Backward runs outside the region, as PyTorch recommends; evaluation runs
/// inside it, as HF Trainer's does. <c>fp16</c> (HF's <c>fp16: true</c>) autocasts to float16 on CUDA only (libtorch's
/// CPU autocast takes bfloat16 alone) and needs loss scaling: fp16's 5 exponent bits flush small gradients to zero, so
/// the trainer backpropagates S·loss and unscales before the step (<see cref="CreateLossScaler"/>, a
/// <see cref="GradScaler"/> with PyTorch's defaults).
/// </summary>
public sealed class MixedPrecision
{
    /// <summary>The known <c>train.dtype</c> values.</summary>
    public static IReadOnlyList<string> Choices { get; } = ["auto", "fp32", "bf16", "fp16"];

    private readonly DType? _autocast;
    private readonly DeviceType _device;

    /// <summary>Resolves <paramref name="dtype"/> for training on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentException">An unknown value, or fp16 (needs CUDA and loss scaling).</exception>
    public MixedPrecision(string dtype, Device device)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        _device = device.Type;
        Name = dtype switch
        {
            "auto" => device.Type == DeviceType.Cuda ? "bf16" : "fp32",
            "fp32" or "bf16" => dtype,
            "fp16" when device.Type == DeviceType.Cuda => dtype,
            "fp16" => throw new ArgumentException($"train.dtype fp16 needs CUDA (libtorch's CPU autocast computes in bfloat16 only), but the run is on {device}; use bf16 or fp32"),
            _ => throw new ArgumentException($"train.dtype must be one of {string.Join(", ", Choices)} (got '{dtype}')"),
        };
        _autocast = Name switch
        {
            "bf16" => DType.BFloat16,
            "fp16" => DType.Float16,
            _ => null,
        };
    }

    /// <summary>The precision in effect: <c>fp32</c>, <c>bf16</c> or <c>fp16</c>.</summary>
    public string Name { get; }

    /// <summary>Whether gradients need loss scaling (fp16).</summary>
    public bool NeedsLossScaling => Name == "fp16";

    /// <summary>A loss scaler for fp16 (PyTorch's defaults: S₀ = 2¹⁶, ×½ on overflow, ×2 after 2000 finite steps); null otherwise.</summary>
    public GradScaler? CreateLossScaler() => NeedsLossScaling ? new GradScaler() : null;

    /// <summary>Enters the forward pass's precision region (nothing for fp32); dispose it before backward.</summary>
    public Region Enter() => _autocast is { } dtype ? new Region(Autocast.Enter(_device, dtype)) : default;

    /// <summary>A precision region (<see cref="Enter"/>); the default value is the empty fp32 region.</summary>
    public readonly struct Region : IDisposable
    {
        private readonly AutocastScope? _scope;

        internal Region(AutocastScope scope) => _scope = scope;

        /// <summary>Leaves the region.</summary>
        public void Dispose() => _scope?.Dispose();
    }
}
