namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// The mean over each window of NCHW input (PyTorch's nn.AvgPool2d); the stride defaults to the kernel
/// size, and zero padding is counted in the divisor unless <c>countIncludePad</c> is false.
/// </summary>
public sealed class AvgPool2d : Module<Tensor, Tensor>
{
    /// <summary>A square window.</summary>
    public AvgPool2d(long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad) { }

    /// <summary>A (kH, kW) window with per-axis stride and padding.</summary>
    public AvgPool2d((long H, long W) kernelSize, (long H, long W)? stride, (long H, long W) padding, bool ceilMode = false, bool countIncludePad = true)
    {
        (KernelSize, Stride, Padding, CeilMode, CountIncludePad) = (kernelSize, stride ?? kernelSize, padding, ceilMode, countIncludePad);
    }

    /// <summary>(kH, kW).</summary>
    public (long H, long W) KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public (long H, long W) Stride { get; }

    /// <summary>Zeros added on each side.</summary>
    public (long H, long W) Padding { get; }

    /// <summary>Round the output size up instead of down.</summary>
    public bool CeilMode { get; }

    /// <summary>Whether padded zeros count in each window's divisor.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);
}
