using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;

namespace LowRankTrainer.Torch.Tests.Optim;

/// <summary>
/// Loss scaling: unscaling is exact division by a power of two, non-finite gradients are reported, and the scale
/// follows torch.amp.GradScaler's update rule (checked step by step against the rule written out by hand).
/// </summary>
public class GradScalerTests
{
    private static Tensor Leaf(float[] values, Device? device = null)
    {
        using var _ = DisposeScope.Suspend();
        using var cpu = Tensor.From<float>(values, [values.Length]);
        return cpu.To(device ?? Device.Cpu).RequiresGrad_();
    }

    private static void CheckScaledBackward(Device device)
    {
        using var scope = new DisposeScope();
        var x = new[] { 1e-6f, -3.5f, 0.25f, 7f };
        var w = Leaf([0.5f, 0.5f, 0.5f, 0.5f], device);
        var noGrad = Leaf([1f], device);
        var scaler = new GradScaler();
        var input = Tensor.From<float>(x, [4], device);
        var loss = (w * input).Sum();
        scaler.ScaleLoss(loss).Backward();
        // Before unscaling the gradient is S·x; after it, exactly x (S = 2^16, so both steps are exact in float32).
        Assert.Equal(x.Select(v => v * 65536f).ToArray(), w.Grad!.Cpu().ToArray<float>());
        Assert.False(scaler.Unscale([w, noGrad]));
        Assert.Equal(x, w.Grad!.Cpu().ToArray<float>());
        Assert.Null(noGrad.Grad);
    }

    [Fact]
    public void ScaledBackward_ThenUnscale_GivesTheTrueGradientExactly() => CheckScaledBackward(Device.Cpu);

    [GpuFact]
    public void ScaledBackward_ThenUnscale_OnCuda_GivesTheTrueGradientExactly() => CheckScaledBackward(Device.Cuda());

    private static void CheckNonFiniteFound(Device device, float bad)
    {
        using var scope = new DisposeScope();
        var a = Leaf([1f, 2f], device);
        var b = Leaf([1f, 2f, 3f], device);
        a.Grad = Tensor.From<float>([4f, 8f], [2], device);
        b.Grad = Tensor.From<float>([1f, bad, 2f], [3], device);
        var scaler = new GradScaler(initScale: 4);
        Assert.True(scaler.Unscale([a, b]));
        // Every gradient is still divided (PyTorch's unscale_ does the same); the step is what gets skipped.
        Assert.Equal(new[] { 1f, 2f }, a.Grad!.Cpu().ToArray<float>());
        Assert.Equal(0.5f, b.Grad!.Cpu().ToArray<float>()[2]);
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.NaN)]
    public void NonFiniteGradient_IsReported(float bad) => CheckNonFiniteFound(Device.Cpu, bad);

    [GpuFact]
    public void NonFiniteGradient_OnCuda_IsReported()
    {
        CheckNonFiniteFound(Device.Cuda(), float.PositiveInfinity);
        CheckNonFiniteFound(Device.Cuda(), float.NaN);
    }

    [Fact]
    public void Update_FollowsPyTorchsRule()
    {
        const int interval = 3;
        var scaler = new GradScaler(initScale: 1024, growthFactor: 2, backoffFactor: 0.5, growthInterval: interval);
        // The rule of torch's _amp_update_scale_, written out: an inf halves S and resets the tracker; the
        // interval-th consecutive finite step doubles S and resets it.
        double scale = 1024;
        var tracker = 0;
        foreach (var inf in new[] { false, false, true, false, false, false, false, true, true, false, false, false })
        {
            if (inf)
            {
                scale *= 0.5;
                tracker = 0;
            }
            else if (++tracker == interval)
            {
                scale *= 2;
                tracker = 0;
            }
            scaler.Update(inf);
            Assert.Equal(scale, scaler.Scale);
            Assert.Equal(tracker, scaler.GrowthTracker);
        }
        Assert.Equal(512, scaler.Scale);   // the sequence above: ×½ ×2 ×½ ×½ ×2
    }

    [Fact]
    public void Growth_ThatWouldOverflowFloat32_KeepsTheScale()
    {
        var scaler = new GradScaler(initScale: float.MaxValue / 1.5, growthInterval: 1);
        scaler.Update(false);
        Assert.Equal(float.MaxValue / 1.5, scaler.Scale);
        Assert.Equal(0, scaler.GrowthTracker);
    }

    [Fact]
    public void State_RoundTrips_AndBadStatesAreRefused()
    {
        var scaler = new GradScaler(growthInterval: 10);
        scaler.Update(true);
        scaler.Update(false);
        var other = new GradScaler();
        other.Restore(scaler.State);
        Assert.Equal(new GradScalerState(32768, 1), other.State);
        Assert.Throws<ArgumentOutOfRangeException>(() => other.Restore(new GradScalerState(0, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => other.Restore(new GradScalerState(double.PositiveInfinity, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => other.Restore(new GradScalerState(8, -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradScaler(initScale: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradScaler(growthFactor: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradScaler(backoffFactor: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradScaler(growthInterval: 0));
    }
}
