using System.Text.Json;
using LowRankTrainer.Config;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// train.device without a GPU: how auto | cpu | cuda | cuda:N resolve against every CUDA situation (a CPU-only libtorch,
/// CUDA without a visible GPU, too few GPUs), what cannot run on CUDA, the empty_cache_steps schedule, and that a CPU run
/// reports its device and no GPU memory. All of it runs on a machine without a GPU.
/// </summary>
[Collection(TrainingSerial.Name)]
public class TrainingDeviceTests
{
    private static readonly CudaInfo CpuOnly = new("1.13.0", Compiled: false, Available: false, DeviceCount: 0);
    private static readonly CudaInfo NoGpu = new("2.11.0+cu130", Compiled: true, Available: false, DeviceCount: 0);
    private static readonly CudaInfo OneGpu = new("2.11.0+cu130", Compiled: true, Available: true, DeviceCount: 1);
    private static readonly CudaInfo TwoGpus = new("2.11.0+cu130", Compiled: true, Available: true, DeviceCount: 2);

    [Fact]
    public void Auto_IsTheFirstGpu_WhereOneIsVisible_AndTheCpuElsewhere()
    {
        Assert.Equal(Device.Cuda(0), TrainingDevice.Resolve("auto", OneGpu));
        Assert.Equal(Device.Cuda(0), TrainingDevice.Resolve("auto", TwoGpus));
        Assert.Equal(Device.Cpu, TrainingDevice.Resolve("auto", CpuOnly));
        Assert.Equal(Device.Cpu, TrainingDevice.Resolve("auto", NoGpu));
    }

    [Fact]
    public void ExplicitDevices_ResolveAsWritten()
    {
        Assert.Equal(Device.Cpu, TrainingDevice.Resolve("cpu", TwoGpus));
        Assert.Equal(Device.Cpu, TrainingDevice.Resolve("cpu", CpuOnly));
        Assert.Equal(Device.Cuda(0), TrainingDevice.Resolve("cuda", TwoGpus));
        Assert.Equal(Device.Cuda(1), TrainingDevice.Resolve("cuda:1", TwoGpus));
    }

    [Fact]
    public void Cuda_OnACpuOnlyLibtorch_SaysSo()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingDevice.Resolve("cuda", CpuOnly));
        Assert.StartsWith("train.device is cuda, but the loaded libtorch 1.13.0 is a CPU-only build", e.Message, StringComparison.Ordinal);
        Assert.Contains("train.device: cpu", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_WithoutAVisibleGpu_SaysSo()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingDevice.Resolve("cuda:0", NoGpu));
        Assert.StartsWith("train.device is cuda:0, but libtorch 2.11.0+cu130 has CUDA and sees no GPU", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CudaIndex_BeyondTheVisibleGpus_ListsThem()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingDevice.Resolve("cuda:2", TwoGpus));
        Assert.Equal("train.device is cuda:2, but libtorch sees 2 GPU(s) (cuda:0 … cuda:1)", e.Message);
        e = Assert.Throws<ArgumentException>(() => TrainingDevice.Resolve("cuda:1", OneGpu));
        Assert.Equal("train.device is cuda:1, but libtorch sees 1 GPU(s) (cuda:0)", e.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("")]
    public void Malformed_NamesTheChoices(string setting)
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingDevice.Resolve(setting, OneGpu));
        Assert.Equal($"train.device must be auto, cpu, cuda or cuda:N (got '{setting}')", e.Message);
    }

    [Fact]
    public void ThisMachine_ResolvesAgainstItsOwnLibtorch()
    {
        var expected = Cuda.IsAvailable ? Device.Cuda(0) : Device.Cpu;
        Assert.Equal(expected, TrainingDevice.Resolve("auto"));
        Assert.Equal(Device.Cpu, TrainingDevice.Resolve("cpu"));
    }

    [Fact]
    public void DataParallel_OnCuda_IsRefused_NamingNccl()
    {
        var train = new TrainConfig { Device = "auto" };
        var e = Assert.Throws<ArgumentException>(() => TrainingDevice.CheckSupported(Device.Cuda(0), train, worldSize: 2));
        Assert.Contains("NCCL (CUDA) is not supported yet, but train.device is auto (resolved to cuda:0)", e.Message, StringComparison.Ordinal);
        TrainingDevice.CheckSupported(Device.Cpu, train, worldSize: 2);
        TrainingDevice.CheckSupported(Device.Cuda(0), train, worldSize: 1);
    }

    [Fact]
    public void FusedAdamW_OnCuda_NeedsLibtorch24_EvenThroughAuto()
    {
        var train = new TrainConfig { Device = "auto", Optim = "adamw_torch_fused" };
        var e = Assert.Throws<ArgumentException>(() => TrainingDevice.CheckSupported(Device.Cuda(0), train, worldSize: 1, new Version(1, 13, 0)));
        Assert.Equal("train.optim adamw_torch_fused on CUDA needs libtorch 2.4 or newer (its _fused_adamw_), but this shim links libtorch " +
                     "1.13.0 and train.device is auto (resolved to cuda:0); use adamw_torch", e.Message);
        TrainingDevice.CheckSupported(Device.Cuda(0), train, worldSize: 1, new Version(2, 4, 0));
        TrainingDevice.CheckSupported(Device.Cpu, train, worldSize: 1, new Version(1, 13, 0));
    }

    [Theory]
    [InlineData(0, new long[0])]
    [InlineData(1, new long[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(2, new long[] { 2, 4, 6 })]
    [InlineData(4, new long[] { 4 })]
    [InlineData(10, new long[0])]
    public void EmptyCacheSteps_EmptiesAfterEveryNthOptimizerStep(int every, long[] expected) =>
        Assert.Equal(expected, Enumerable.Range(1, 6).Select(s => (long)s).Where(s => RunDevice.EmptyCacheDue(s, every)));

    [Fact]
    public void TheDefault_IsAuto() => Assert.Equal("auto", new TrainConfig().Device);

    [NoGpuFact]
    public void CudaRequested_WithoutOne_FailsTheRunBeforeAnythingIsWritten()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with { Train = tiny.Config().Train with { Device = "cuda" } };
        var e = Assert.Throws<ArgumentException>(() => tiny.Run(config));
        Assert.StartsWith("train.device is cuda, but", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(config.Train.OutputDir));
    }

    [NoGpuFact]
    public void AutoOnACpuMachine_TrainsOnTheCpu_AndReportsNoGpuMemory()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with { Train = tiny.Config().Train with { Device = "auto", MaxSteps = 4, EmptyCacheSteps = 1 } };
        var result = tiny.Run(config);
        Assert.Equal("cpu", result.Summary.Device);
        Assert.Null(result.Summary.GpuMemPeakAllocMib);
        Assert.Null(result.Summary.GpuMemPeakReservedMib);
        var summary = File.ReadAllText(Path.Combine(result.RunDirectory, "summary.json"));
        Assert.Contains("\"device\": \"cpu\"", summary, StringComparison.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            Assert.False(doc.RootElement.TryGetProperty("gpu_mem_peak_alloc_mib", out _), line);
        }
    }
}
