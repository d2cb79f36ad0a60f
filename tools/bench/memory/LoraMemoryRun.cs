using System.Globalization;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Bench.Memory;

/// <summary>What one step held: its peak (from a reset at the end of the step before; step 1's includes building the
/// model) and what stayed allocated after it, in bytes of CPU tensor storage (<see cref="CpuMemory"/>).</summary>
internal readonly record struct StepMemory(long Step, long PeakBytes, long AfterBytes);

/// <summary>A run's per-step memory and its summary's <c>train_step_seconds</c> (forward, backward and optimizer time).</summary>
internal sealed record MemoryRunResult(IReadOnlyList<StepMemory> Steps, double? TrainStepSeconds);

/// <summary>
/// lrt's side of the peak-memory comparison (tools/bench/memory: Program.cs runs it, and
/// tests/LowRankTrainer.Tests/Training/StepMemoryTests.cs compiles this file too): lrt's Trainer, in this process, on a
/// causal LM of the HF config.json given (gpt2 or llama), LoRA r=16, α=32, dropout 0 on every Linear of the blocks
/// (PEFT's suffix rule, as tools/bench/gpu/*.yaml), AdamW (foreach) lr 2e-4, wd 0, clipping at 1.0, linear decay, no
/// evaluation or checkpoints, on the CPU in fp32 or bf16 autocast. Data: random token ids [P, T] and next-token
/// targets from a seeded Random, one row per sample of every step (the values do not change the memory).
/// torch_leg.py runs the same step in PyTorch on the same libtorch.
/// </summary>
internal static class LoraMemoryRun
{
    /// <summary>PEFT's target_modules of tools/bench/gpu/*.yaml for <paramref name="modelType"/>.</summary>
    public static string[] TargetModules(string modelType) => modelType switch
    {
        "gpt2" => ["c_attn", "c_proj", "c_fc"],
        "llama" => ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        _ => throw new ArgumentException($"model_type '{modelType}' is not gpt2 or llama", nameof(modelType)),
    };

    /// <summary>Trains <paramref name="steps"/> steps and returns each step's memory (tracking starts here if it has not).</summary>
    /// <param name="hfConfig">The HF config.json.</param>
    /// <param name="batch">Rows per step.</param>
    /// <param name="seq">Tokens per row.</param>
    /// <param name="steps">Optimizer steps.</param>
    /// <param name="dtype">fp32 or bf16.</param>
    /// <param name="outDir">Where the run folder goes.</param>
    /// <param name="fusedLoss">loss.fused_linear_cross_entropy (lrt only; torch_leg.py has no counterpart).</param>
    public static MemoryRunResult Run(string hfConfig, int batch, int seq, int steps, string dtype, string outDir, bool fusedLoss = false)
    {
        CpuMemory.StartTracking();
        var (modelType, vocab) = HfModel(hfConfig);
        var config = new ExperimentConfig
        {
            Name = "memory_bench",
            Model = new ModelConfig { Name = modelType, HfConfig = Path.GetFullPath(hfConfig), Task = "causal_lm" },
            Adapter = new AdapterConfig { Method = "lora", R = 16, LoraAlpha = 32, LoraDropout = 0, TargetModules = TargetModules(modelType), Bias = "none" },
            Train = new TrainConfig
            {
                OutputDir = outDir, Device = "cpu", Dtype = dtype, MaxSteps = steps, PerDeviceTrainBatchSize = batch, LearningRate = 2e-4,
                WeightDecay = 0, MaxGradNorm = 1.0, LrSchedulerType = "linear", Optim = "adamw_torch", Seed = 42, NumThreads = 1,
            },
            Eval = new EvalConfig { EvalStrategy = "no" },
            Checkpoint = new CheckpointConfig { SaveStrategy = "no" },
            Logging = new LoggingConfig { LoggingSteps = steps },
            Loss = new LossConfig { FusedLinearCrossEntropy = fusedLoss },
        };
        using var data = RandomTokens(batch * steps, seq, vocab);
        var measured = new List<StepMemory>();
        DisposeScope.CollectOrphans();  // what earlier work dropped is freed before the run, not during it
        CpuMemory.ResetPeak();
        var result = new Trainer(config, "name: memory_bench\n", TextWriter.Null, new TrainerOptions
        {
            TrainData = data,
            Interactive = false,
            StepCompleted = step =>
            {
                var s = CpuMemory.Stats();
                measured.Add(new StepMemory(step, s.PeakAllocated, s.Allocated));
                CpuMemory.ResetPeak();
            },
        }).Run();
        return new MemoryRunResult(measured, result.Summary.TrainStepSeconds);
    }

    /// <summary>The lines Program.cs prints and torch_leg.py prints alike: <c>step{k}_peak_bytes</c>, <c>step{k}_after_bytes</c>.</summary>
    public static IEnumerable<string> Lines(IEnumerable<StepMemory> steps) =>
        steps.SelectMany(s => new[]
        {
            string.Create(CultureInfo.InvariantCulture, $"step{s.Step}_peak_bytes {s.PeakBytes}"),
            string.Create(CultureInfo.InvariantCulture, $"step{s.Step}_after_bytes {s.AfterBytes}"),
        });

    // rows × seq inputs and their next tokens, from one seeded draw of rows × (seq + 1) ids.
    private static TensorDataset RandomTokens(int rows, int seq, int vocab)
    {
        var rng = new Random(42);
        var inputs = new long[rows * seq];
        var targets = new long[rows * seq];
        for (var r = 0; r < rows; r++)
        {
            var row = new long[seq + 1];
            for (var i = 0; i < row.Length; i++) row[i] = rng.Next(vocab);
            Array.Copy(row, 0, inputs, r * seq, seq);
            Array.Copy(row, 1, targets, r * seq, seq);
        }
        return new TensorDataset(Tensor.From<long>(inputs, [rows, seq]), Tensor.From<long>(targets, [rows, seq]));
    }

    private static (string ModelType, int Vocab) HfModel(string path)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return (doc.RootElement.GetProperty("model_type").GetString()!, doc.RootElement.GetProperty("vocab_size").GetInt32());
    }
}
