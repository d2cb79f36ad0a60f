// Peak CPU tensor memory of LoRA fine-tuning with lrt's Trainer (LoraMemoryRun), the side of tools/bench/memory.sh that
// torch_leg.py mirrors in PyTorch on the same libtorch (see BENCHMARKS.md, "Peak memory of a LoRA step"). Both sides
// count tensor storages with the shim's counting CPU allocator (CpuMemory; torch_leg.py loads the same library with
// ctypes), which counts as torch.cuda.max_memory_allocated does on a GPU.
// Usage: MemoryBench HF_CONFIG.json BATCH SEQ STEPS fp32|bf16 OUT_DIR [fused]
//   fused: loss.fused_linear_cross_entropy (lrt's fused head and loss; torch_leg.py has no counterpart)
// Output: "name value" lines: side, dtype, then step{k}_peak_bytes and step{k}_after_bytes per step.
using System.Globalization;
using LowRankTrainer.Bench.Memory;
using LowRankTrainer.Torch;

if (args.Length is not (6 or 7) || (args.Length == 7 && args[6] != "fused"))
{
    Console.Error.WriteLine("usage: MemoryBench HF_CONFIG.json BATCH SEQ STEPS fp32|bf16 OUT_DIR [fused]");
    return 2;
}
var inv = CultureInfo.InvariantCulture;
CpuMemory.StartTracking();  // before anything is built, as torch_leg.py starts before its model
TorchRuntime.NumThreads = 1;
var fused = args.Length == 7;
var run = LoraMemoryRun.Run(args[0], int.Parse(args[1], inv), int.Parse(args[2], inv), int.Parse(args[3], inv), args[4], args[5], fused);
Console.WriteLine(fused ? "side lrt_fused" : "side lrt");
Console.WriteLine($"dtype {args[4]}");
foreach (var line in LoraMemoryRun.Lines(run.Steps)) Console.WriteLine(line);
if (run.TrainStepSeconds is { } seconds) Console.WriteLine(string.Create(inv, $"train_step_seconds {seconds:R}"));
return 0;
