using LowRankTrainer.Config;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Runs;

/// <summary>
/// Where <c>lrt eval</c> evaluates a saved run: its train.device resolved as training resolves it, its train.dtype on
/// that device, the CPU with a note where an explicit CUDA run meets a machine without the GPU, and a strict
/// <c>--device</c>. Fake <see cref="CudaInfo"/>s, as <see cref="Training.TrainingDeviceTests"/>: no GPU needed.
/// </summary>
public class EvalPlacementTests
{
    private static readonly CudaInfo CpuOnly = new("1.13.0", Compiled: false, Available: false, DeviceCount: 0);
    private static readonly CudaInfo NoGpu = new("2.11.0+cu130", Compiled: true, Available: false, DeviceCount: 0);
    private static readonly CudaInfo OneGpu = new("2.11.0+cu130", Compiled: true, Available: true, DeviceCount: 1);

    private static TrainConfig Train(string device = "auto", string dtype = "auto") => new() { Device = device, Dtype = dtype };

    [Fact]
    public void AutoRun_IsEvaluatedOnTheGpuInBf16_WhereOneIsVisible_AndOnTheCpuInFp32Elsewhere()
    {
        var gpu = EvalPlacement.For(Train(), null, OneGpu);
        Assert.Equal((Device.Cuda(0), "bf16", (string?)null), (gpu.Device, gpu.Precision.Name, gpu.Note));
        foreach (var cuda in new[] { CpuOnly, NoGpu })
        {
            var cpu = EvalPlacement.For(Train(), null, cuda);
            Assert.Equal((Device.Cpu, "fp32", (string?)null), (cpu.Device, cpu.Precision.Name, cpu.Note));
        }
    }

    [Fact]
    public void ExplicitDtype_IsKept_OnTheResolvedDevice()
    {
        Assert.Equal("fp32", EvalPlacement.For(Train("cuda", "fp32"), null, OneGpu).Precision.Name);
        Assert.Equal("bf16", EvalPlacement.For(Train("cpu", "bf16"), null, OneGpu).Precision.Name);
        Assert.Equal(Device.Cpu, EvalPlacement.For(Train("cpu"), null, OneGpu).Device);
    }

    [Fact]
    public void ExplicitCudaRun_WithoutAGpu_IsEvaluatedOnTheCpu_WithAOneLineNote()
    {
        foreach (var (setting, cuda) in new[] { ("cuda", CpuOnly), ("cuda:0", NoGpu), ("cuda:1", OneGpu) })
        {
            var placement = EvalPlacement.For(Train(setting), null, cuda);
            Assert.Equal(Device.Cpu, placement.Device);
            Assert.Equal("fp32", placement.Precision.Name); // auto on the device evaluated on
            Assert.NotNull(placement.Note);
            Assert.Contains($"train.device {setting}", placement.Note, StringComparison.Ordinal);
            Assert.Contains("evaluating on the CPU", placement.Note, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', placement.Note);
        }
    }

    [Fact]
    public void DeviceOverride_WinsOverTheRun_AndIsStrict_WithTrainingDevicesMessagesNamingTheOption()
    {
        Assert.Equal(Device.Cpu, EvalPlacement.For(Train("cuda"), "cpu", OneGpu).Device);
        Assert.Equal("fp32", EvalPlacement.For(Train("cuda"), "cpu", OneGpu).Precision.Name);
        Assert.Equal(Device.Cuda(0), EvalPlacement.For(Train("cpu"), "cuda", OneGpu).Device);
        Assert.Equal(Device.Cpu, EvalPlacement.For(Train("cuda"), "auto", NoGpu).Device);
        var noCuda = Assert.Throws<ArgumentException>(() => EvalPlacement.For(Train(), "cuda", CpuOnly));
        Assert.StartsWith("--device is cuda, but the loaded libtorch 1.13.0 is a CPU-only build", noCuda.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("train.device", noCuda.Message, StringComparison.Ordinal);
        var tooHigh = Assert.Throws<ArgumentException>(() => EvalPlacement.For(Train(), "cuda:3", OneGpu));
        Assert.Contains("--device is cuda:3, but libtorch sees 1 GPU(s)", tooHigh.Message, StringComparison.Ordinal);
        Assert.Contains("--device must be", Assert.Throws<ArgumentException>(() => EvalPlacement.For(Train(), "gpu", OneGpu)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckSpelling_AcceptsTheTrainingSpellings_AndNamesTheChoicesOtherwise()
    {
        foreach (var ok in new[] { "auto", "AUTO", "cpu", "cuda", "cuda:0", "cuda:7" }) Assert.Null(EvalPlacement.CheckSpelling(ok));
        foreach (var bad in new[] { "gpu", "cuda:", "cuda:x", "" })
            Assert.Equal($"--device must be {TrainingDevice.Choices} (got '{bad}')", EvalPlacement.CheckSpelling(bad));
    }

    [Fact]
    public void Host_IsTheCpuInFp32()
    {
        Assert.Equal(Device.Cpu, EvalPlacement.Host.Device);
        Assert.Equal("fp32", EvalPlacement.Host.Precision.Name);
        Assert.Null(EvalPlacement.Host.Note);
    }
}
