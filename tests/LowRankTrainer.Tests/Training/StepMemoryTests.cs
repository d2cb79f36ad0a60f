using System.Diagnostics;
using System.Globalization;
using LowRankTrainer.Bench.Memory;
using LowRankTrainer.Tests.Checkpoints;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// Peak memory of a LoRA training step against PyTorch's for the same step on the same libtorch: lrt's Trainer
/// (tools/bench/memory/LoraMemoryRun.cs) beside tools/bench/memory/torch_leg.py (transformers' GPT-2 / Llama with PEFT's
/// LoRA, written out) in Debian's python3-torch, both counted by the shim's counting CPU allocator. A tensor that lrt
/// holds and PyTorch frees — the logits kept through backward by a view left in the step's scope, an attention output
/// kept by a bare transpose — shows up as a difference of at least one [N·T, d] activation; the only difference allowed
/// is lrt's batch (its loader copies inputs and targets, where the Python loop slices its pool) and a few scalars.
/// </summary>
[Collection(TrainingSerial.Name)]  // the allocator count is process-wide: no other test may allocate meanwhile
public sealed class StepMemoryTests : IDisposable
{
    private const int Batch = 2;
    private const int Seq = 32;
    private const int Steps = 2;
    private readonly string _root = Directory.CreateTempSubdirectory("lrt-stepmem-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly Dictionary<string, string> Configs = new()
    {
        ["gpt2"] = """
            {"model_type": "gpt2", "vocab_size": 512, "n_positions": 64, "n_embd": 64, "n_layer": 2, "n_head": 4,
             "activation_function": "gelu_pytorch_tanh", "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
             "layer_norm_epsilon": 1e-05, "initializer_range": 0.02, "tie_word_embeddings": true}
            """,
        ["llama"] = """
            {"model_type": "llama", "vocab_size": 512, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "hidden_act": "silu",
             "max_position_embeddings": 64, "initializer_range": 0.02, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
             "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true}
            """,
    };

    [Theory]
    [InlineData("gpt2", "fp32")]
    [InlineData("gpt2", "bf16")]
    [InlineData("llama", "fp32")]
    [InlineData("llama", "bf16")]
    public void LoraStep_HoldsWhatPyTorchHolds(string model, string dtype)
    {
        var config = Path.Combine(_root, model + ".json");
        File.WriteAllText(config, Configs[model]);
        var torch = TorchLeg(config, dtype);
        var lrt = LoraMemoryRun.Run(config, Batch, Seq, Steps, dtype, Path.Combine(_root, "runs")).Steps.ToDictionary(s => s.Step);
        // lrt's loader copies each batch (inputs and targets, int64 [B, T]); 256 bytes cover the loss and norm scalars.
        const long allowed = 2 * Batch * Seq * sizeof(long) + 256;
        // One activation [N·T, d] in fp32: the smallest leak the comparison must see.
        Assert.True(allowed < Batch * Seq * 64 * 4, "the allowance must stay below one activation");
        for (var step = 2L; step <= Steps; step++)  // step 1's peak includes building the model, which differs
        {
            var (peak, after) = (lrt[step].PeakBytes - torch[$"step{step}_peak_bytes"], lrt[step].AfterBytes - torch[$"step{step}_after_bytes"]);
            Assert.True(Math.Abs(peak) <= allowed, $"step {step} peak: lrt {lrt[step].PeakBytes:N0} B, PyTorch {torch[$"step{step}_peak_bytes"]:N0} B (Δ {peak:N0}, allowed ±{allowed:N0})");
            Assert.True(Math.Abs(after) <= allowed, $"after step {step}: lrt {lrt[step].AfterBytes:N0} B, PyTorch {torch[$"step{step}_after_bytes"]:N0} B (Δ {after:N0})");
        }
    }

    [Theory]
    [InlineData("gpt2", "fp32")]
    [InlineData("llama", "bf16")]
    public void FusedLinearCrossEntropy_HoldsLessThanPyTorch_ByTheLogitsAtLeast(string model, string dtype)
    {
        var config = Path.Combine(_root, model + ".json");
        File.WriteAllText(config, Configs[model]);
        var torch = TorchLeg(config, dtype);
        var lrt = LoraMemoryRun.Run(config, Batch, Seq, Steps, dtype, Path.Combine(_root, "runs"), fusedLoss: true).Steps.ToDictionary(s => s.Step);
        // The unfused step keeps log_softmax's [N·T, V] float32 output for backward and allocates two more of that size in
        // it; fused, one chunk's logits exist at a time. So the peak drops by at least one [N·T, V] float32 tensor.
        const long logits = Batch * Seq * 512 * 4;
        for (var step = 2L; step <= Steps; step++)
        {
            var peak = torch[$"step{step}_peak_bytes"] - lrt[step].PeakBytes;
            Assert.True(peak >= logits, $"step {step}: fused peak {lrt[step].PeakBytes:N0} B is only {peak:N0} B below PyTorch's {torch[$"step{step}_peak_bytes"]:N0} B (expected ≥ {logits:N0})");
        }
    }

    // Runs torch_leg.py with the libtorchshim.so this process loaded (the same libtorch), and reads its "name value" lines.
    private static Dictionary<string, long> TorchLeg(string config, string dtype)
    {
        var root = SafetensorsTestFiles.RepositoryRoot();
        var python = Environment.GetEnvironmentVariable("LRT_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(root, "tools", "bench", "memory", "torch_leg.py"), LoadedShim(), config,
                                  Batch.ToString(CultureInfo.InvariantCulture), Seq.ToString(CultureInfo.InvariantCulture),
                                  Steps.ToString(CultureInfo.InvariantCulture), dtype })
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "torch_leg.py did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, $"{python} torch_leg.py failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                     .Select(l => l.Split(' '))
                     .Where(f => f.Length == 2 && f[0].EndsWith("_bytes", StringComparison.Ordinal))
                     .ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
    }

    private static string LoadedShim()
    {
        CpuMemory.StartTracking();  // loads the shim if nothing has yet
        return File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                   .Where(f => f.Length >= 6 && f[5].EndsWith("libtorchshim.so", StringComparison.Ordinal))
                   .Select(f => f[5]).First();
    }
}
