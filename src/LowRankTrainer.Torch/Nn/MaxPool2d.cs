namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// The maximum over each window of NCHW input (PyTorch's nn.MaxPool2d); padding counts as −∞ and
/// the stride defaults to the kernel size. The gradient flows to each window's arg-max.
/// </summary>
public sealed class MaxPool2d : Module<Tensor, Tensor>
{
    /// <summary>A square window.</summary>
    public MaxPool2d(long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode) { }

    /// <summary>A (kH, kW) window with per-axis stride, padding and dilation.</summary>
    public MaxPool2d((long H, long W) kernelSize, (long H, long W)? stride, (long H, long W) padding, (long H, long W) dilation, bool ceilMode = false)
    {
        (KernelSize, Stride, Padding, Dilation, CeilMode) = (kernelSize, stride ?? kernelSize, padding, dilation, ceilMode);
    }

    /// <summary>(kH, kW).</summary>
    public (long H, long W) KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public (long H, long W) Stride { get; }

    /// <summary>−∞ added on each side.</summary>
    public (long H, long W) Padding { get; }

    /// <summary>Spacing between window taps.</summary>
    public (long H, long W) Dilation { get; }

    /// <summary>Round the output size up instead of down.</summary>
    public bool CeilMode { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);
}
