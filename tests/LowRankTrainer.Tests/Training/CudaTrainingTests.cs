using System.Text.Json;
using LowRankTrainer.Adapters;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// The trainer on a GPU (issue #9): every adapter method trained on CUDA in fp32 against the same run on the CPU, GPU
/// memory in the metrics and summary, a CUDA checkpoint resumed on CUDA bit for bit, train.empty_cache_steps, and bf16
/// autocast against fp32. Skipped, with the reason, where libtorch sees no GPU; <see cref="EveryScenario_TrainsOnTheCpu"/>
/// checks the scenarios themselves on any machine.
/// </summary>
/// <remarks>
/// Cross-device comparisons use SGD: its update is linear in the gradient, so the CPU/GPU rounding differences (another
/// summation order in matmuls and reductions) stay at rounding level, where Adam's g/√v would turn a near-zero gradient's
/// noise into a full-size step. One AdamW scenario (full fine-tuning with model dropout) covers the GPU optimizer path.
/// Serial: GPU memory statistics are process-wide.
/// </remarks>
[Collection(TrainingSerial.Name)]
public class CudaTrainingTests
{
    private const double LossTolerance = 1e-4;   // relative, fp32 on both devices
    private const double WeightTolerance = 1e-4; // absolute, after 3 small steps

    /// <summary>Every adapter method (and full fine-tuning) on the tiny blobs task, 3 optimizer steps.</summary>
    private static readonly string[] ScenarioNames =
    [
        "full (adamw, model dropout)", "lora", "lora_xs", "lora_sb", "svfit", "randlora", "lotr",
        "intrinsic dense did", "intrinsic dense said", "intrinsic sparse did", "intrinsic sparse said",
        "intrinsic fastfood did", "intrinsic fastfood said",
    ];

    /// <summary>The scenarios as theory rows.</summary>
    public static TheoryData<string> Scenarios() => [.. ScenarioNames];

    private static ExperimentConfig Scenario(TinyRun tiny, string name, string device, string outputName)
    {
        var baseConfig = tiny.Config(outputName);
        var full = name.StartsWith("full", StringComparison.Ordinal);
        var config = baseConfig with
        {
            // Model dropout (the model's own CPU generator) only in the full scenario: on a GPU its masks are drawn on the
            // CPU and copied, so both devices drop the same units.
            Model = new ModelConfig { Name = "mlp", HiddenSizes = [32, 32], NumClasses = 4, Dropout = full ? 0.2 : 0 },
            Train = baseConfig.Train with
            {
                Device = device, Dtype = "fp32", Tf32 = false, MaxSteps = 3, GradientAccumulationSteps = 1, WarmupSteps = 0,
                Optim = full ? "adamw_torch" : "sgd", LearningRate = full ? 1e-2 : 0.1,
            },
            Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 3, PerDeviceEvalBatchSize = 64 },
            Checkpoint = new CheckpointConfig { SaveStrategy = "no" },
            Logging = new LoggingConfig { LoggingSteps = 1 },
        };
        const string head = "layers.4";  // Linear 16→32, ReLU, Linear 32→32, ReLU, Linear 32→4
        AdapterConfig? adapter = name switch
        {
            "lora" => new() { Method = "lora", R = 4, LoraAlpha = 8, TargetModules = ["all-linear"], ModulesToSave = [head] },
            "lora_xs" => new() { Method = "lora_xs", R = 4, TargetModules = ["all-linear"], ModulesToSave = [head] },
            "lora_sb" => new() { Method = "lora_sb", R = 3, LoraSbNumSamples = 16, TargetModules = ["all-linear"], ModulesToSave = [head] },
            "svfit" => new() { Method = "svfit", TargetModules = ["all-linear"], ModulesToSave = [head] },
            "randlora" => new() { Method = "randlora", R = 4, RandloraScaling = "paper", TargetModules = ["all-linear"], ModulesToSave = [head] },
            "lotr" => new() { Method = "lotr", R = 4, LotrInit = "scaled", TargetModules = ["all-linear"], ModulesToSave = [head] },
            _ when name.StartsWith("intrinsic", StringComparison.Ordinal) => new()
            {
                Method = "intrinsic", D = 40, Projection = name.Split(' ')[1], Said = name.EndsWith("said", StringComparison.Ordinal),
                TargetModules = [TargetSelector.All],
            },
            _ => null,
        };
        return adapter is null ? config : config with { Adapter = adapter };
    }

    [Fact]
    public void EveryScenario_TrainsOnTheCpu()
    {
        using var tiny = new TinyRun();
        foreach (var name in ScenarioNames)
        {
            var result = tiny.Run(Scenario(tiny, name, "cpu", name.Replace(' ', '_')));
            Assert.Equal(3, result.Summary.GlobalStep);
            Assert.Equal(3, TrainLosses(result.RunDirectory).Count);
            Assert.All(TrainLosses(result.RunDirectory), l => Assert.True(double.IsFinite(l), name));
        }
    }

    [GpuTheory]
    [MemberData(nameof(Scenarios))]
    public void Fp32OnCuda_MatchesTheCpu_LossesAndWeights(string scenario)
    {
        using var tiny = new TinyRun();
        var cpu = tiny.Run(Scenario(tiny, scenario, "cpu", "cpu"));
        var gpu = tiny.Run(Scenario(tiny, scenario, "cuda", "cuda"));
        Assert.Equal("cuda:0", gpu.Summary.Device);

        var (a, b) = (TrainLosses(cpu.RunDirectory), TrainLosses(gpu.RunDirectory));
        Assert.Equal(3, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++) AssertRelClose(a[i], b[i], LossTolerance, $"{scenario}: loss at step {i + 1}");
        AssertRelClose(cpu.Summary.EvalLoss!.Value, gpu.Summary.EvalLoss!.Value, LossTolerance, $"{scenario}: eval_loss");
        AssertWeightsClose(FinalWeights(cpu.RunDirectory), FinalWeights(gpu.RunDirectory), scenario);
    }

    [GpuFact]
    public void CudaRun_LogsPeakGpuMemory_InMetricsSummaryAndConsole()
    {
        using var tiny = new TinyRun();
        var config = Scenario(tiny, "lora", "cuda", "mem");
        var console = new StringWriter();
        var result = tiny.Run(config, console: console);

        Assert.True(result.Summary.GpuMemPeakAllocMib > 0);
        Assert.True(result.Summary.GpuMemPeakReservedMib >= result.Summary.GpuMemPeakAllocMib);
        var entries = File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl")).Select(l => JsonDocument.Parse(l)).ToList();
        Assert.Equal(4, entries.Count);  // 3 train steps, 1 evaluation
        foreach (var doc in entries)
        {
            Assert.True(doc.RootElement.GetProperty("gpu_mem_peak_alloc_mib").GetDouble() > 0);
            Assert.True(doc.RootElement.GetProperty("gpu_mem_peak_reserved_mib").GetDouble() > 0);
            doc.Dispose();
        }
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "summary.json"))))
        {
            Assert.Equal("cuda:0", summary.RootElement.GetProperty("device").GetString());
            Assert.True(summary.RootElement.GetProperty("gpu_mem_peak_alloc_mib").GetDouble() > 0);
        }
        var text = console.ToString();
        Assert.Contains("device: cuda:0", text, StringComparison.Ordinal);
        Assert.Contains("MiB reserved", text.Split('\n').Last(l => l.StartsWith("success:", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [GpuTheory]
    [InlineData("full fine-tuning")]
    [InlineData("lora + head, branch dropout")]
    public void CudaCheckpoint_ResumesOnCuda_BitIdentical(string scenario)
    {
        using var tiny = new TinyRun();
        // TinyRun's config: 20 AdamW steps, accumulation 2, model dropout; a checkpoint every 10 steps.
        var config = tiny.Config() with { Logging = new LoggingConfig { LoggingSteps = 3 } };
        config = config with { Train = config.Train with { Device = "cuda", Dtype = "fp32" } };
        if (scenario.StartsWith("lora", StringComparison.Ordinal))
        {
            // Generator-less branch dropout draws from the CUDA default generator, which the checkpoint must carry.
            config = config with { Adapter = new AdapterConfig { Method = "lora", R = 4, LoraAlpha = 8, LoraDropout = 0.1, TargetModules = ["all-linear"], ModulesToSave = ["layers.3"] } };
        }
        var (straight, stopped, resumed, _) = tiny.StraightStoppedResumed(config, 10);
        Assert.True(stopped.Cancelled);

        Assert.Equal(20, resumed.Summary.GlobalStep);
        Assert.Equal(Events(straight.RunDirectory), Events(resumed.RunDirectory));
        Assert.Equal(straight.Summary.EvalLoss, resumed.Summary.EvalLoss);
        TinyRun.AssertSameWeightsAndFree(FinalWeights(straight.RunDirectory), FinalWeights(resumed.RunDirectory), scenario);
    }

    [GpuFact]
    public void EmptyCacheSteps_ReturnsCachedBlocksAfterEachStep()
    {
        using var tiny = new TinyRun();
        // Wide layers and a big batch: each step's activations are large blocks the caching allocator would keep.
        var config = Scenario(tiny, "lora", "cuda", "cache");
        config = config with
        {
            Model = config.Model with { HiddenSizes = [2048, 2048] },
            Train = config.Train with { PerDeviceTrainBatchSize = 256, MaxSteps = 4 },
            // No evaluation: it would refill the cache between the step's emptying and the callback that measures it.
            Eval = new EvalConfig { EvalStrategy = "no" },
        };
        long CachedAfterSteps(int? every, string name)
        {
            long worst = 0;
            var c = config with { Train = config.Train with { EmptyCacheSteps = every, OutputDir = Path.Combine(tiny.Root, name) } };
            tiny.Run(c, _ =>
            {
                var s = Cuda.MemoryStats();
                worst = Math.Max(worst, s.Reserved - s.Allocated);
            });
            return worst;
        }
        var kept = CachedAfterSteps(null, "never");
        var emptied = CachedAfterSteps(1, "every");
        // 256 × 2048 fp32 activations are 2 MiB each; a step leaves tens of MiB cached unless the cache is emptied.
        Assert.True(kept > 8L << 20, $"without empty_cache_steps {kept} bytes stay cached after a step");
        Assert.True(emptied < kept / 2, $"empty_cache_steps 1 leaves {emptied} bytes cached, without it {kept}");
    }

    [GpuTheory]
    [InlineData("full (adamw, model dropout)")]
    [InlineData("lora")]
    [InlineData("intrinsic fastfood said")]
    public void AutoDtypeOnCuda_IsBf16_WithinBf16ToleranceOfFp32(string scenario)
    {
        using var tiny = new TinyRun();
        var fp32 = tiny.Run(Scenario(tiny, scenario, "cuda", "fp32"));
        var auto = Scenario(tiny, scenario, "cuda", "auto");
        var console = new StringWriter();
        var bf16 = tiny.Run(auto with { Train = auto.Train with { Dtype = "auto" } }, console: console);
        Assert.Contains("precision: bf16 autocast", console.ToString(), StringComparison.Ordinal);
        var (a, b) = (TrainLosses(fp32.RunDirectory), TrainLosses(bf16.RunDirectory));
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++) AssertRelClose(a[i], b[i], 2e-2, $"{scenario}: bf16 loss at step {i + 1}");
    }

    /// <summary>
    /// fp16 on CUDA: float16 autocast with loss scaling (GradScaler, S₀ = 2¹⁶) trains within fp16 tolerance of fp32,
    /// and the checkpoint carries the loss scale (a power of two: it only ever halves or doubles).
    /// </summary>
    [GpuTheory]
    [InlineData("full (adamw, model dropout)")]
    [InlineData("lora")]
    public void Fp16OnCuda_WithLossScaling_IsWithinFp16ToleranceOfFp32(string scenario)
    {
        using var tiny = new TinyRun();
        var fp32 = tiny.Run(Scenario(tiny, scenario, "cuda", "fp32"));
        var half = Scenario(tiny, scenario, "cuda", "fp16");
        var console = new StringWriter();
        var fp16 = tiny.Run(half with { Train = half.Train with { Dtype = "fp16" }, Checkpoint = new CheckpointConfig { SaveStrategy = "steps", SaveSteps = 3 } },
                            console: console);
        Assert.Contains("precision: fp16 autocast", console.ToString(), StringComparison.Ordinal);
        Assert.Contains("loss scaling", console.ToString(), StringComparison.Ordinal);
        var (a, b) = (TrainLosses(fp32.RunDirectory), TrainLosses(fp16.RunDirectory));
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++) AssertRelClose(a[i], b[i], 1e-2, $"{scenario}: fp16 loss at step {i + 1}");
        var checkpoint = Directory.GetDirectories(Path.Combine(fp16.RunDirectory, "checkpoints")).Order(StringComparer.Ordinal).Last();
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, TrainingCheckpoint.StateFile)));
        var scale = state.RootElement.GetProperty("loss_scale").GetDouble();
        Assert.True(scale > 0 && Math.Log2(scale) == Math.Round(Math.Log2(scale)), $"loss scale {scale}");
    }

    /// <summary>
    /// fp16 on CUDA with a loss scale far too large (2²⁴: the logits' gradient alone, S·(p − y)/32, exceeds fp16's 65504)
    /// overflows for real in float16 backward: every overflow is reported on the console, in metrics.jsonl, summary.json and
    /// trainer_state.json (LossScalingTests.AssertOverflowsReported), and a run stopped and resumed reports the same totals.
    /// </summary>
    [GpuFact]
    public void Fp16OnCuda_ForcedOverflows_AreReported_AndResumeWithTheirTotals()
    {
        using var tiny = new TinyRun();
        var initialScale = Math.Pow(2, 24);
        GradScaler Scaler() => new(initScale: initialScale);
        var config = tiny.Config() with { Checkpoint = new CheckpointConfig { SaveStrategy = "steps", SaveSteps = 5 } };
        config = config with { Train = config.Train with { Device = "cuda", Dtype = "fp16" } };
        ExperimentConfig In(string name, string? resume = null) => config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, name), ResumeFromCheckpoint = resume } };

        var console = new StringWriter();
        var straight = tiny.Run(In("a"), lossScaler: Scaler, console: console);
        Assert.Contains("precision: fp16 autocast", console.ToString(), StringComparison.Ordinal);
        var overflows = LossScalingTests.AssertOverflowsReported(straight, initialScale, console.ToString());
        Assert.NotEmpty(overflows);
        Assert.Equal(1L, overflows[0]);
        Assert.True(overflows.Count < straight.Summary.GlobalStep, $"all {overflows.Count} steps overflowed");

        var stopped = tiny.RunUntil(In("b"), 10, lossScaler: Scaler);
        var checkpoint = Path.Combine(stopped.RunDirectory, "checkpoints", TrainingCheckpoint.FolderName(10));
        var resumed = tiny.Run(In("c", checkpoint), lossScaler: Scaler);
        Assert.Equal(LossScalingTests.OverflowLines(straight.RunDirectory).Where(l => l.Step > 10), LossScalingTests.OverflowLines(resumed.RunDirectory));
        Assert.Equal((straight.Summary.LossScale, straight.Summary.OverflowSkippedSteps), (resumed.Summary.LossScale, resumed.Summary.OverflowSkippedSteps));
        Assert.Equal(Events(straight.RunDirectory).Where(e => e.Contains("split=\"train\"", StringComparison.Ordinal)).Select(OverflowKeys),
                     Events(resumed.RunDirectory).Where(e => e.Contains("split=\"train\"", StringComparison.Ordinal)).Select(OverflowKeys));
    }

    // The loss-scale keys of an Events line.
    private static string OverflowKeys(string e) =>
        string.Join(' ', e.Split(' ').Where(kv => kv.StartsWith("step=", StringComparison.Ordinal) || kv.StartsWith("loss_scale=", StringComparison.Ordinal)
                                                   || kv.StartsWith("overflow_skipped_steps=", StringComparison.Ordinal)));

    [GpuFact]
    public void Dropout_WithACpuGenerator_OnACudaTensor_DrawsTheCpuMask()
    {
        using var scope = new DisposeScope();
        using var data = new Generator(1);
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        var x = Tensor.Randn([64, 33], data);
        var onCpu = Functional.Dropout(x, 0.3, training: true, generator: g1);
        var onGpu = Functional.Dropout(x.To(Device.Cuda()), 0.3, training: true, generator: g2);
        Assert.Equal(DeviceType.Cuda, onGpu.Device.Type);
        Assert.True(onCpu.ValueEquals(onGpu.To(Device.Cpu)));
    }

    private static List<double> TrainLosses(string runDirectory) =>
        [.. File.ReadAllLines(Path.Combine(runDirectory, "metrics.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            return r.GetProperty("split").GetString() == "train" && r.TryGetProperty("loss", out var l) ? l.GetDouble() : double.NaN;
        }).Where(v => !double.IsNaN(v))];

    // Every logged number except timings and memory, as text (exact doubles).
    private static List<string> Events(string runDirectory) =>
        File.ReadAllLines(Path.Combine(runDirectory, "metrics.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            var keep = doc.RootElement.EnumerateObject()
                .Where(p => p.Name is not ("samples_per_second" or "elapsed_seconds" or "eval_runtime") && !p.Name.StartsWith("gpu_mem_", StringComparison.Ordinal))
                .Select(p => $"{p.Name}={p.Value.GetRawText()}");
            return string.Join(' ', keep);
        }).ToList();

    private static OrderedDictionary<string, Tensor> FinalWeights(string runDirectory)
    {
        var final = Path.Combine(runDirectory, "final");
        var adapter = Path.Combine(final, AdapterCheckpoint.WeightsFile);
        return SafetensorsFile.ReadAll(File.Exists(adapter) ? adapter : Path.Combine(final, TrainingCheckpoint.ModelFile));
    }

    private static void AssertWeightsClose(OrderedDictionary<string, Tensor> cpu, OrderedDictionary<string, Tensor> gpu, string scenario)
    {
        try
        {
            Assert.Equal(cpu.Keys, gpu.Keys);
            foreach (var (key, a) in cpu)
            {
                using var scope = new DisposeScope();
                var x = a.To(DType.Float64).Contiguous().ToArray<double>();
                var y = gpu[key].To(DType.Float64).Contiguous().ToArray<double>();
                Assert.Equal(x.Length, y.Length);
                var worst = x.Zip(y, (p, q) => Math.Abs(p - q)).DefaultIfEmpty(0).Max();
                Assert.True(worst <= WeightTolerance, $"{scenario}: {key} differs by up to {worst:G3} between the CPU and CUDA");
            }
        }
        finally
        {
            TinyRun.Free(cpu);
            TinyRun.Free(gpu);
        }
    }

    private static void AssertRelClose(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(Math.Abs(expected), 1e-12),
                    $"{what}: {expected:R} on the CPU (or fp32), {actual:R} here (tolerance {tolerance:G2} relative)");
}
