using LowRankTrainer.Torch;
using LowRankTrainer.TestSupport;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Torch.Tests.Nn;

/// <summary>
/// <see cref="FusedLinearCrossEntropy"/> against the unfused pair it replaces, CrossEntropy(Linear(h, W), y), whose
/// gradients are libtorch's own: equal to float64 rounding in float64 for every chunking, with ignored rows, a trainable
/// or frozen W and an incoming gradient other than 1; within bf16 rounding under CPU autocast; and holding only ∂L/∂h
/// for backward, counted by <see cref="CpuMemory"/>.
/// </summary>
public class FusedLinearCrossEntropyTests
{
    private const long M = 7, D = 5, V = 11;

    // The same draws on every device: made on the CPU, then moved.
    private static (Tensor H, Tensor W, Tensor Y) Inputs(DType dtype, bool trainW, Device device)
    {
        using var g = new Generator(3);
        var h = Tensor.Randn([M, D], g, dtype).To(device);
        var w = Tensor.Randn([V, D], g, dtype).To(device);
        h.RequiresGrad = true;
        w.RequiresGrad = trainW;
        var y = Tensor.From<long>([3, -100, 0, 10, 7, 7, -100], [M]).To(device);
        return (h, w, y);
    }

    private static (double Loss, double[] GradH, double[]? GradW) LossAndGrads(Func<Tensor, Tensor, Tensor, Tensor> loss, DType dtype, bool trainW, double upstream,
                                                                                Device device = default)
    {
        using var scope = new DisposeScope();
        var (h, w, y) = Inputs(dtype, trainW, device);
        var value = loss(h, w, y);
        (value * upstream).Backward();
        using var gh = h.Grad!;
        using var gw = w.Grad;
        return (value.Cpu().To(DType.Float64).ToArray<double>()[0], gh.Cpu().To(DType.Float64).ToArray<double>(), gw?.Cpu().To(DType.Float64).ToArray<double>());
    }

    private static Tensor Unfused(Tensor h, Tensor w, Tensor y) => Functional.CrossEntropy(Tensor.Linear(h, w), y);

    [Theory]
    [InlineData(1L, true, 1.0)]
    [InlineData(2L, true, 1.0)]
    [InlineData(3L, false, 0.25)]
    [InlineData(7L, true, 3.0)]
    [InlineData(10L, false, 1.0)]
    [InlineData(null, true, 1.0)]
    public void EqualsTheUnfusedLossAndGradients_InFloat64(long? chunkRows, bool trainW, double upstream)
    {
        var expected = LossAndGrads(Unfused, DType.Float64, trainW, upstream);
        var actual = LossAndGrads((h, w, y) => FusedLinearCrossEntropy.Compute(h, w, y, chunkRows: chunkRows), DType.Float64, trainW, upstream);
        Assert.Equal(expected.Loss, actual.Loss, 1e-12);
        AssertClose(expected.GradH, actual.GradH, 1e-12);
        if (trainW) AssertClose(expected.GradW!, actual.GradW!, 1e-12);
        else Assert.Null(actual.GradW);
    }

    [Fact]
    public void UnderCpuAutocast_IsWithinBf16RoundingOfTheUnfusedPair()
    {
        using var autocast = Autocast.Enter(DeviceType.Cpu, DType.BFloat16);
        var expected = LossAndGrads(Unfused, DType.Float32, trainW: true, 1.0);
        var actual = LossAndGrads((h, w, y) => FusedLinearCrossEntropy.Compute(h, w, y, chunkRows: 2), DType.Float32, trainW: true, 1.0);
        Assert.Equal(expected.Loss, actual.Loss, 2e-2 * Math.Abs(expected.Loss));
        AssertClose(expected.GradH, actual.GradH, 2e-2 * expected.GradH.Max(Math.Abs));
        AssertClose(expected.GradW!, actual.GradW!, 2e-2 * expected.GradW!.Max(Math.Abs));
    }

    [GpuFact]
    public void OnCuda_EqualsTheUnfusedPair_InFloat64_AndWithinBf16RoundingUnderAutocast()
    {
        var cuda = Device.Cuda();
        var expected = LossAndGrads(Unfused, DType.Float64, trainW: true, 2.0, cuda);
        var actual = LossAndGrads((h, w, y) => FusedLinearCrossEntropy.Compute(h, w, y, chunkRows: 3), DType.Float64, trainW: true, 2.0, cuda);
        Assert.Equal(expected.Loss, actual.Loss, 1e-12);
        AssertClose(expected.GradH, actual.GradH, 1e-12);
        AssertClose(expected.GradW!, actual.GradW!, 1e-12);
        using var autocast = Autocast.Enter(DeviceType.Cuda, DType.BFloat16);
        expected = LossAndGrads(Unfused, DType.Float32, trainW: false, 1.0, cuda);
        actual = LossAndGrads((h, w, y) => FusedLinearCrossEntropy.Compute(h, w, y, chunkRows: 2), DType.Float32, trainW: false, 1.0, cuda);
        Assert.Equal(expected.Loss, actual.Loss, 2e-2 * Math.Abs(expected.Loss));
        AssertClose(expected.GradH, actual.GradH, 2e-2 * expected.GradH.Max(Math.Abs));
    }

    [Fact]
    public void EveryRowIgnored_GivesNaN_AsMeanCrossEntropyDoes()
    {
        using var scope = new DisposeScope();
        var h = Tensor.Randn([3, D]);
        var w = Tensor.Randn([V, D]);
        var y = Tensor.From<long>([-100, -100, -100], [3]);
        Assert.True(double.IsNaN(Unfused(h, w, y).ToDouble()));
        Assert.True(double.IsNaN(FusedLinearCrossEntropy.Compute(h, w, y).ToDouble()));
    }

    [Fact]
    public void KeepsOnlyTheHiddenGradientForBackward()
    {
        CpuMemory.StartTracking();
        using var scope = new DisposeScope();
        const long rows = 64, d = 16, vocab = 1000;
        var h0 = Tensor.Randn([rows, d]);
        h0.RequiresGrad = true;
        var h = h0 * 2;  // a non-leaf hidden state, as a model's
        var w = Tensor.Randn([vocab, d]);
        var y = Tensor.RandInt(0, vocab, [rows]);
        DisposeScope.CollectOrphans();
        var before = CpuMemory.Stats().Allocated;
        CpuMemory.ResetPeak();
        var fused = FusedLinearCrossEntropy.Compute(h, w, y, chunkRows: 16);
        var fusedHeld = CpuMemory.Stats().Allocated - before;
        var fusedPeak = CpuMemory.Stats().PeakAllocated - before;
        var logits = Tensor.Linear(h, w);
        var unfused = Functional.CrossEntropy(logits, y);
        logits.Dispose();
        var unfusedHeld = CpuMemory.Stats().Allocated - before - fusedHeld;
        // Fused: ∂L/∂h [64, 16] float32 plus the loss and a few scalars; its peak stays near one chunk's [16, 1000] logits.
        Assert.InRange(fusedHeld, rows * d * 4, rows * d * 4 + 256);
        Assert.InRange(fusedPeak, 0, 3 * 16 * vocab * 4 + rows * d * 4 + 4096);
        // Unfused: log_softmax's [64, 1000] float32 output.
        Assert.InRange(unfusedHeld, rows * vocab * 4, rows * vocab * 4 + 4096);
        Assert.Equal(unfused.ToDouble(), fused.ToDouble(), 1e-5);
    }

    [Fact]
    public void MismatchedShapes_AreRefusedNamingTheFunction()
    {
        using var scope = new DisposeScope();
        var e = Assert.ThrowsAny<TorchException>(() => FusedLinearCrossEntropy.Compute(Tensor.Randn([4, 5]), Tensor.Randn([9, 6]), Tensor.From<long>([0, 1, 2, 3], [4])));
        Assert.Contains("fused_linear_cross_entropy", e.Message, StringComparison.Ordinal);
        e = Assert.ThrowsAny<TorchException>(() => FusedLinearCrossEntropy.Compute(Tensor.Randn([4, 5]), Tensor.Randn([9, 5]), Tensor.From<long>([0, 1, 2], [3])));
        Assert.Contains("target", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8192L, 50257L, 768L, 128L)]   // GPT-2: ⌈50257/768⌉ = 66 chunks → 125 rows → 128
    [InlineData(8192L, 50304L, 2048L, 512L)]  // the Llama-1B benchmark: 25 chunks → 328 → 512
    [InlineData(3L, 100L, 10L, 1L)]
    [InlineData(5L, 4L, 8L, 5L)]              // V < d: one chunk, capped at M
    public void DefaultChunkRows_FollowsLigerRule(long rows, long vocab, long hidden, long expected) =>
        Assert.Equal(expected, FusedLinearCrossEntropy.DefaultChunkRows(rows, vocab, hidden));

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: {expected[i]} vs {actual[i]} (±{tolerance})");
    }
}
