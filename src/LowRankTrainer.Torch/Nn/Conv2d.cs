namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// 2-D convolution over NCHW input (PyTorch's nn.Conv2d, zero padding):
/// y[n,o] = b[o] + Σ_c Σ_(i,j) W[o,c,i,j]·x[n, g·C_in/groups + c, s·h + d·i − p, s·w + d·j − p],
/// <c>weight</c> (C_out, C_in/groups, kH, kW), <c>bias</c> (C_out). Initialised as PyTorch does:
/// W ~ kaiming_uniform(a = √5), b ~ U(−1/√fan_in, 1/√fan_in) with fan_in = C_in/groups·kH·kW.
/// </summary>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    /// <summary>A square kernel with the same stride, padding and dilation along both axes.</summary>
    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1,
                  long groups = 1, bool bias = true, Generator? generator = null, DType dtype = DType.Float32, Device device = default)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation),
               groups, bias, generator, dtype, device) { }

    /// <summary>A (kH, kW) kernel with per-axis stride, padding and dilation.</summary>
    public Conv2d(long inChannels, long outChannels, (long H, long W) kernelSize, (long H, long W) stride, (long H, long W) padding,
                  (long H, long W) dilation, long groups = 1, bool bias = true, Generator? generator = null,
                  DType dtype = DType.Float32, Device device = default)
    {
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"in_channels ({inChannels}) and out_channels ({outChannels}) must be divisible by groups ({groups})", nameof(groups));
        }
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        using var suspended = DisposeScope.Suspend();
        var w = Init.KaimingUniform_(Tensor.Empty([outChannels, inChannels / groups, kernelSize.H, kernelSize.W], dtype, device), Math.Sqrt(5), generator);
        Weight = RegisterParameter("weight", w);
        if (bias) Bias = RegisterParameter("bias", Init.FanInUniform_(Tensor.Empty([outChannels], dtype, device), Init.Fans(w).FanIn, generator));
    }

    /// <summary>C_in.</summary>
    public long InChannels { get; }

    /// <summary>C_out.</summary>
    public long OutChannels { get; }

    /// <summary>(kH, kW).</summary>
    public (long H, long W) KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public (long H, long W) Stride { get; }

    /// <summary>Zeros added on each side.</summary>
    public (long H, long W) Padding { get; }

    /// <summary>Spacing between kernel taps.</summary>
    public (long H, long W) Dilation { get; }

    /// <summary>Channel groups (C_in/groups inputs feed each output).</summary>
    public long Groups { get; }

    /// <summary>W, (C_out, C_in/groups, kH, kW).</summary>
    public Parameter Weight { get; }

    /// <summary>b, (C_out); null when created without bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.Conv2d(input, Weight.Value, Bias?.Value, Stride, Padding, Dilation, Groups);
}
