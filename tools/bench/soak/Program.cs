// Soak benchmark (issue #10): the real Trainer for many optimizer steps in this process, sampling every EVERY
// steps, through TrainerOptions.StepCompleted (called on the training thread after the step's DisposeScope is
// gone, after that step's evaluation and checkpoint if one was due):
//   live_tensors  Tensor.LiveCount — tensor handles the shim has handed out and not yet freed
//   rss_bytes     ProcessMemory.ResidentBytes() — VmRSS from /proc/self/status
//   heap_bytes    HostMemory.HeapInUseBytes() — glibc mallinfo2 in-use (libtorch's CPU tensors live here)
//   managed_bytes GC.GetTotalMemory(false) — the .NET heap (metrics history, checkpoint JSON, ...), garbage included
//   orphans_freed DisposeScope.OrphansFreed — tensors dropped without Dispose that the GC safety net has freed so
//                 far; LiveCount alone can stay flat while such tensors pile up and get finalized, so this must not move
// Nothing forces a garbage collection during the run (the process behaves as `lrt train` does); after it, one full
// collection reclaims every tensor dropped without Dispose, so after_live and orphans_total are exact.
// A leak of one handle per step shows as +EVERY per sample; a per-step buffer as a rising heap and RSS. The run
// is driven by a config (full fine-tuning or an adapter) with evaluation and checkpointing on, so those paths
// are soaked too (tools/bench/soak.sh sets the overrides; see BENCHMARKS.md, "Soak: 10,000 steps").
// Usage:
//   Soak run LABEL CONFIG.yaml OUTDIR EVERY [section.key=value ...]
//       writes OUTDIR/LABEL.csv (one row per sample), OUTDIR/LABEL.trainer.log (the trainer's console), the run
//       folder OUTDIR/runs/LABEL/, and prints "name value" lines on stdout (the report reads them).
//   Soak plot OUTDIR LABEL [LABEL ...]
//       renders OUTDIR/soak_live_handles.svg and OUTDIR/soak_memory.svg from the CSVs (one series per label).
using System.Diagnostics;
using System.Globalization;
using LowRankTrainer.Config;
using LowRankTrainer.Experiments;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

var inv = CultureInfo.InvariantCulture;
if (args.Length >= 5 && args[0] == "run")
{
    return Soak.Run(args[1], args[2], args[3], int.Parse(args[4], inv), args[5..]);
}
if (args.Length >= 3 && args[0] == "plot")
{
    Soak.Plot(args[1], args[2..]);
    return 0;
}
Console.Error.WriteLine("usage: Soak run LABEL CONFIG.yaml OUTDIR EVERY [section.key=value ...] | Soak plot OUTDIR LABEL...");
return 2;

internal static class Soak
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(string label, string configPath, string outDir, int every, string[] overrides)
    {
        Directory.CreateDirectory(outDir);
        var runDir = Path.GetFullPath(Path.Combine(outDir, "runs", label));
        if (Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true);
        var loaded = ConfigLoader.Load(configPath, overrides);
        if (!loaded.Success)
        {
            foreach (var d in loaded.Diagnostics) Console.Error.WriteLine(d);
            return 2;
        }
        var config = loaded.Config!;
        Out("label", label);
        Out("config", configPath);
        Out("overrides", string.Join(' ', overrides));
        Out("torch_version", TorchRuntime.GetBuildInfo().TorchVersion);
        Out("malloc_tuned", TorchRuntime.MallocTuned ? 1 : 0);
        Out("runtime", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
        Out("before_live", Tensor.LiveCount);
        Out("before_orphans", DisposeScope.OrphansFreed);
        Out("before_rss", ProcessMemory.ResidentBytes() ?? -1);

        var csvPath = Path.Combine(outDir, label + ".csv");
        using var csv = new StreamWriter(csvPath) { NewLine = "\n" };
        csv.WriteLine("step,elapsed_s,live_tensors,rss_bytes,heap_bytes,managed_bytes,orphans_freed");
        var clock = new Stopwatch();
        void Sample(long step)
        {
            if (step % every != 0) return;
            // Read the cheap counters first; mallinfo2 walks the free lists (≈ ms), which is why this is every EVERY steps.
            var live = Tensor.LiveCount;
            var rss = ProcessMemory.ResidentBytes() ?? -1;
            var heap = HostMemory.HeapInUseBytes() ?? -1;
            var managed = GC.GetTotalMemory(forceFullCollection: false);
            csv.WriteLine(string.Create(Inv, $"{step},{clock.Elapsed.TotalSeconds:F3},{live},{rss},{heap},{managed},{DisposeScope.OrphansFreed}"));
        }

        var logPath = Path.Combine(outDir, label + ".trainer.log");
        TrainResult result;
        using (var console = new StreamWriter(logPath) { NewLine = "\n" })
        {
            var options = new TrainerOptions { RunDirectory = runDir, Interactive = false, StepCompleted = Sample };
            clock.Start();
            result = new Trainer(config, ConfigWriter.Write(config), console, options).Run();
            clock.Stop();
        }
        csv.Flush();

        // After the run every tensor the trainer made (data, model, optimizer state) should be gone again, each by
        // Dispose: the full collection hands any dropped one to the safety net, which counts it.
        DisposeScope.CollectOrphans();
        Out("after_live", Tensor.LiveCount);
        Out("orphans_total", DisposeScope.OrphansFreed);
        Out("wall_s", clock.Elapsed.TotalSeconds.ToString("F1", Inv));
        Out("steps", result.Summary.GlobalStep);
        Out("status", result.Summary.Status);
        Out("train_loss", result.Summary.TrainLoss?.ToString("F4", Inv) ?? "?");
        Out("eval_accuracy", result.Summary.EvalAccuracy?.ToString("F4", Inv) ?? "?");
        Out("trainable_params", result.Summary.NumTrainableParams);
        Out("step_ms", ((result.Summary.TrainStepSeconds ?? double.NaN) * 1000).ToString("F3", Inv));
        var log = File.ReadAllLines(logPath);
        Out("evaluations", log.Count(l => l.Contains(": eval_loss ", StringComparison.Ordinal)));
        Out("saves", log.Count(l => l.Contains(": saved ", StringComparison.Ordinal)));
        var checkpoints = Path.Combine(runDir, "checkpoints");
        Out("checkpoints_kept", Directory.Exists(checkpoints) ? Directory.GetDirectories(checkpoints).Length : 0);
        Out("batch_size", config.Train.PerDeviceTrainBatchSize);
        Out("adapter", config.Adapter.Method);
        return result.Summary.Status == "success" ? 0 : 1;
    }

    public static void Plot(string outDir, string[] labels)
    {
        var rows = labels.ToDictionary(l => l, l => ReadCsv(Path.Combine(outDir, l + ".csv")));
        PlotSeries Series(string name, List<double[]> r, int column, double scale) =>
            new(name, [.. r.Select(v => new PlotPoint(v[0], v[column] * scale, 0))]);
        const double mib = 1.0 / (1 << 20);
        var live = new PlotData("Soak: live tensor handles (Tensor.LiveCount) vs step", "optimizer step", "live handles", false, false,
            [.. labels.Select(l => Series(l, rows[l], 2, 1))], []);
        var memory = new PlotData("Soak: resident set and glibc heap in use vs step", "optimizer step", "MiB", false, false,
            [.. labels.SelectMany(l => new[] { Series($"{l} RSS", rows[l], 3, mib), Series($"{l} heap in use", rows[l], 4, mib) })], []);
        File.WriteAllText(Path.Combine(outDir, "soak_live_handles.svg"), SvgLinePlot.Render(live));
        File.WriteAllText(Path.Combine(outDir, "soak_memory.svg"), SvgLinePlot.Render(memory));
    }

    private static List<double[]> ReadCsv(string path) =>
        [.. File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',').Select(v => double.Parse(v, Inv)).ToArray())];

    private static void Out(string key, object value) => Console.WriteLine(string.Create(Inv, $"{key} {value}"));
}
