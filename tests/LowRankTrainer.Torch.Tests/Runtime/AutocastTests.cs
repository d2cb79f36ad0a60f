using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Runtime;

/// <summary>
/// <see cref="Autocast"/> against PyTorch's own CPU autocast on the same libtorch (Debian python3-torch 1.13,
/// /usr/bin/python3), values copied from:
/// <code>
/// x = torch.arange(12.).reshape(3, 4) / 7 - 0.5
/// w = (torch.arange(20.).reshape(5, 4) / 11 - 0.8).requires_grad_(); b = (torch.arange(5.) / 13).requires_grad_()
/// with torch.autocast("cpu", dtype=torch.bfloat16):
///     y = torch.nn.functional.linear(x, w, b)          # bfloat16
/// (y.float() ** 2).sum().backward()                    # w.grad, b.grad: float32
/// </code>
/// </summary>
public class AutocastTests
{
    private static (Tensor X, Tensor W, Tensor B) Inputs()
    {
        using var x0 = Tensor.Arange(0L, 12L, 1L, DType.Float32);
        using var w0 = Tensor.Arange(0L, 20L, 1L, DType.Float32);
        using var b0 = Tensor.Arange(0L, 5L, 1L, DType.Float32);
        using var xs = x0.Reshape(3, 4);
        using var ws = w0.Reshape(5, 4);
        using var x1 = xs / 7.0;
        using var w1 = ws / 11.0;
        var w = (w1 - 0.8).RequiresGrad_();
        var b = (b0 / 13.0).RequiresGrad_();
        return (x1 - 0.5, w, b);
    }

    /// <summary>Equal, or (when not <paramref name="exact"/>) within one bf16 ulp of each expected value (2⁻⁷ relative).</summary>
    private static void AssertBf16Close(float[] expected, float[] actual, bool exact)
    {
        if (exact)
        {
            Assert.Equal(expected, actual);
            return;
        }
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var ulp = MathF.Pow(2, MathF.Floor(MathF.Log2(MathF.Abs(expected[i]))) - 7);
            Assert.True(MathF.Abs(actual[i] - expected[i]) <= ulp, $"element {i}: {actual[i]} vs {expected[i]} (one bf16 ulp: {ulp})");
        }
    }

    [Fact]
    public void CpuBFloat16_Linear_MatchesPyTorchBitForBit_AndGradientsStayFloat32()
    {
        using var scope = new DisposeScope();
        var (x, w, b) = Inputs();
        Tensor y;
        using (Autocast.Enter(DeviceType.Cpu, DType.BFloat16))
        {
            Assert.True(Autocast.IsEnabled(DeviceType.Cpu));
            y = Tensor.Linear(x, w, b);
            Assert.Equal(DType.BFloat16, x.MatMul(w.Transpose(0, 1)).DType);
        }
        Assert.False(Autocast.IsEnabled(DeviceType.Cpu));
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(
            [0.82421875f, 0.484375f, 0.146484375f, -0.1923828125f, -0.53125f, -0.6953125f, -0.2001953125f, 0.29296875f, 0.78125f,
             1.2734375f, -2.21875f, -0.88671875f, 0.4375f, 1.7578125f, 3.078125f],
            y.To(DType.Float32).Flatten().ToArray<float>());
        y.To(DType.Float32).Square().Sum().Backward();
        var gw = w.Grad!;
        var gb = b.Grad!;
        Assert.Equal(DType.Float32, gw.DType);
        // Bit for bit against the fixture's PyTorch (1.13, Debian's libtorch); libtorch 2.x sums the bf16 backward
        // matmul in another order, so there each gradient is within one bf16 ulp (seen: −1.828125 for −1.8203125).
        var exact = TorchRuntime.GetBuildInfo().TorchRelease is { Major: 1, Minor: 13 };
        AssertBf16Close([-3.78125f, -4.375f, -4.96875f, -5.5625f, -1.65625f, -1.8203125f, -2.0f, -2.171875f, 0.45703125f, 0.70703125f, 0.9609375f,
             1.2109375f, 2.5625f, 3.234375f, 3.90625f, 4.5625f, 4.6875f, 5.75f, 6.875f, 7.9375f],
            gw.Flatten().ToArray<float>(), exact);
        AssertBf16Close([-4.1875f, -1.203125f, 1.75f, 4.6875f, 7.625f], gb.ToArray<float>(), exact);
        gw.Dispose();
        gb.Dispose();
        // Outside the region the same op is float32 again.
        Assert.Equal(DType.Float32, Tensor.Linear(x, w, b).DType);
    }

    [Fact]
    public void NestedRegions_RestoreTheOuterState()
    {
        using var scope = new DisposeScope();
        var (x, w, _) = Inputs();
        using (Autocast.Enter(DeviceType.Cpu, DType.BFloat16))
        {
            using (Autocast.Enter(DeviceType.Cpu, DType.BFloat16)) Assert.Equal(DType.BFloat16, x.MatMul(w.Transpose(0, 1)).DType);
            Assert.True(Autocast.IsEnabled(DeviceType.Cpu));
            Assert.Equal(DType.BFloat16, x.MatMul(w.Transpose(0, 1)).DType);
        }
        Assert.False(Autocast.IsEnabled(DeviceType.Cpu));
    }

    [Fact]
    public void CpuFloat16_IsRefusedWithAClearMessage_AndChangesNothing()
    {
        var e = Assert.ThrowsAny<TorchException>(() => Autocast.Enter(DeviceType.Cpu, DType.Float16));
        Assert.Contains("autocast on cpu computes in bfloat16 only, not Half", e.Message, StringComparison.Ordinal);
        Assert.False(Autocast.IsEnabled(DeviceType.Cpu));
    }

    [GpuFact]
    public void CudaBFloat16_Linear_IsWithinBFloat16ToleranceOfFloat32()
    {
        using var scope = new DisposeScope();
        var (x, w, b) = Inputs();
        var (xc, wc, bc) = (x.To(Device.Cuda()), w.Detach().To(Device.Cuda()), b.Detach().To(Device.Cuda()));
        Tensor y;
        using (Autocast.Enter(DeviceType.Cuda, DType.BFloat16)) y = Tensor.Linear(xc, wc, bc);
        Assert.Equal(DType.BFloat16, y.DType);
        var exact = Tensor.Linear(x, w.Detach(), b.Detach());
        var err = (y.To(DType.Float32).To(Device.Cpu) - exact).Abs().Max().ToDouble();
        Assert.True(err <= 2e-2 * Math.Max(1, exact.Abs().Max().ToDouble()), $"bf16 autocast differs from fp32 by {err}");
    }
}
