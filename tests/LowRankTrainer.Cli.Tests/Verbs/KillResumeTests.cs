using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using Xunit.Abstractions;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary>
/// Crash safety end to end: <c>lrt train</c> runs as a real process and is killed with SIGKILL at random moments
/// (mid-step, mid-checkpoint, mid-evaluation — wherever the clock lands), then continued with <c>--resume auto</c>
/// until it finishes; its metrics and weights must equal those of one uninterrupted run. SIGINT must save a
/// checkpoint and exit 130.
/// </summary>
public sealed class KillResumeTests(ITestOutputHelper output) : IDisposable
{
    private const int MaxSteps = 160;

    private const int SaveSteps = 10;

    private readonly string _root = Directory.CreateTempSubdirectory("lrt-kill-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // Fashion-MNIST (a subset), an MLP with dropout, shuffling, warm-up and decay: every piece of state a resume restores.
    private string WriteConfig(string name, string adapter) =>
        WriteFile($"{name}.yaml", $"""
            base: {Path.Combine(CliTestPaths.RepositoryRoot(), "configs", "defaults", "train.yaml")}
            name: {name}
            model:
              name: mlp
              hidden_sizes: [64]
              dropout: 0.1
            {adapter}
            data:
              max_samples: 3000
              max_eval_samples: 500
            train:
              output_dir: {Path.Combine(_root, "runs")}
              max_steps: {MaxSteps}
              per_device_train_batch_size: 32
              learning_rate: 3e-3
              num_threads: 1
              device: cpu  # bit-identical resume is a CPU (or fp32 CUDA) property: bf16 on CUDA is not bitwise reproducible
            eval:
              eval_strategy: steps
              eval_steps: 40
            checkpoint:
              save_strategy: steps
              save_steps: {SaveSteps}
              save_total_limit: 2
            logging:
              logging_steps: 5
            """);

    public static TheoryData<string, string> Runs => new()
    {
        { "full", "" },
        { "lora", "adapter:\n  method: lora\n  r: 4\n  lora_alpha: 8\n  target_modules: [all-linear]\n  modules_to_save: [layers.2]" },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void SigkillAtRandomMoments_ThenResumeAuto_EqualsAnUninterruptedRun(string name, string adapter)
    {
        var config = WriteConfig(name, adapter);
        var reference = Lrt("train", config, $"train.output_dir={Path.Combine(_root, "reference")}");
        Assert.True(reference.ExitCode == 0, reference.Output);
        var referenceRun = RunFolderOf(reference.Output);

        var seed = Environment.GetEnvironmentVariable("LRT_KILL_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with LRT_KILL_SEED={seed})");
        var random = new Random(seed);
        // Up to four kills (LRT_KILL_COUNT for a longer manual run). Each waits until the run has written a randomly
        // chosen later checkpoint (1–4 checkpoints past the newest one on disk, i.e. where this process resumes), then a
        // random 0–60 ms more — about one checkpoint interval here — so the SIGKILL lands wherever the process then is:
        // inside a step, a checkpoint write or rotation, an evaluation. Progress is read from the file system, not the
        // child's stdout, whose pipe can deliver lines late.
        var count = Environment.GetEnvironmentVariable("LRT_KILL_COUNT") is { } k ? int.Parse(k, CultureInfo.InvariantCulture) : 4;
        var runs = Path.Combine(_root, "runs", name);
        (int ExitCode, string Output) last = (-1, "");
        var kills = 0;
        for (var attempt = 0; attempt <= count && last.ExitCode != 0; attempt++)
        {
            var newest = NewestCheckpoint(runs);
            var target = newest + (SaveSteps * random.Next(1, 5));
            var delay = TimeSpan.FromMilliseconds(random.Next(0, 61));
            var killing = attempt < count && target < MaxSteps;
            last = killing ? LrtKilled(runs, target, delay, "train", config, "--resume", "auto") : Lrt("train", config, "--resume", "auto");
            kills += last.ExitCode == 137 ? 1 : 0;
            var lines = last.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var where = $"from {(newest > 0 ? $"step {newest}" : "scratch")}, reached checkpoint {NewestCheckpoint(runs)}; last line: {lines.LastOrDefault()?.Trim()}";
            output.WriteLine(killing ? $"kill {delay.TotalMilliseconds} ms after checkpoint {target}: exit {last.ExitCode}; {where}" : $"left alone: exit {last.ExitCode}; {where}");
            Assert.True(last.ExitCode is 0 or 137, $"exit {last.ExitCode}\n{last.Output}");
        }
        Assert.True(kills >= 1, "no run was killed");
        Assert.Equal(0, last.ExitCode);
        var finished = RunFolderOf(last.Output);
        Assert.Equal(Events(referenceRun), Events(finished));
        var weights = adapter.Length > 0 ? "final/adapter_model.safetensors" : "final/model.safetensors";
        AssertSameTensors(Path.Combine(referenceRun, weights), Path.Combine(finished, weights));
        var expected = RunSummary.FromJson(File.ReadAllText(Path.Combine(referenceRun, "summary.json")));
        var actual = RunSummary.FromJson(File.ReadAllText(Path.Combine(finished, "summary.json")));
        Assert.Equal((expected.GlobalStep, expected.EvalLoss, expected.EvalAccuracy), (actual.GlobalStep, actual.EvalLoss, actual.EvalAccuracy));
        Assert.Equal("success", actual.Status);
    }

    [Fact]
    public void Sigint_SavesACheckpointAndExits130_AndResumeFinishesTheRun()
    {
        var config = WriteConfig("sigint", "");
        using var process = Start("train", config);
        // Wait for the loop to be running (its first checkpoint), then Ctrl+C.
        var runs = Path.Combine(_root, "runs", "sigint");
        var deadline = Stopwatch.StartNew();
        while (!Directory.Exists(runs) || !Directory.EnumerateDirectories(runs, "step-*", SearchOption.AllDirectories).Any())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited, "the run never saved its first checkpoint");
            Thread.Sleep(20);
        }
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.True(process.WaitForExit(60_000), "no exit after SIGINT");
        var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}\n{text}");

        var run = RunFolderOf(text);
        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("cancelled", summary.Status);
        Assert.True(summary.GlobalStep < MaxSteps, $"stopped at {summary.GlobalStep}");
        // The step it stopped after has a complete checkpoint, so nothing trained is lost.
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", $"step-{summary.GlobalStep:D6}", "trainer_state.json")));
        Assert.Contains($"cancelled after step {summary.GlobalStep}", text, StringComparison.Ordinal);

        var resumed = Lrt("train", config, "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains($"at step {summary.GlobalStep}", resumed.Output, StringComparison.Ordinal);
        Assert.Equal(MaxSteps, RunSummary.FromJson(File.ReadAllText(Path.Combine(RunFolderOf(resumed.Output), "summary.json"))).GlobalStep);
    }

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }

    // The trainer's first line names its run folder.
    private static string RunFolderOf(string output) =>
        output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..];

    private (int ExitCode, string Output) Lrt(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "lrt did not finish in 5 minutes");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    // The highest step-NNNNNN checkpoint under any run folder of this run name (0 when none): where --resume auto starts.
    private static int NewestCheckpoint(string runs) =>
        !Directory.Exists(runs) ? 0 : Directory.EnumerateDirectories(runs, "step-*", SearchOption.AllDirectories)
            .Select(d => int.Parse(Path.GetFileName(d)["step-".Length..], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    // Runs lrt and kills it (SIGKILL) <paramref name="delay"/> after checkpoint <paramref name="step"/> appears;
    // 137 (= 128 + SIGKILL, as a shell reports it) when killed, else its own exit code (it may finish first).
    private (int ExitCode, string Output) LrtKilled(string runs, int step, TimeSpan delay, params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (NewestCheckpoint(runs) < step && !process.WaitForExit(1))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(5), $"lrt never wrote checkpoint {step}");
        }
        if (!process.WaitForExit(delay))
        {
            process.Kill(); // SIGKILL on Unix: no handler, no finally block, no flush runs
            process.WaitForExit();
            return (137, stdout.Result + stderr.Result);
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private Process Start(params string[] args) => Process.Start(LrtCommand.StartInfo(_root, args))!;

    // Every logged number except timings, as text (exact doubles), in order.
    private static List<string> Events(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return string.Join(' ', doc.RootElement.EnumerateObject()
                .Where(p => p.Name is not ("samples_per_second" or "elapsed_seconds" or "eval_runtime"))
                .Select(p => $"{p.Name}={p.Value.GetRawText()}"));
        }).ToList();

    private static void AssertSameTensors(string expectedFile, string actualFile)
    {
        var expected = SafetensorsFile.ReadAll(expectedFile);
        var actual = SafetensorsFile.ReadAll(actualFile);
        try
        {
            Assert.Equal(expected.Keys, actual.Keys);
            Assert.All(expected, kv => Assert.True(kv.Value.ValueEquals(actual[kv.Key]), $"{kv.Key} differs"));
        }
        finally
        {
            foreach (var t in expected.Values.Concat(actual.Values)) t.Dispose();
        }
    }
}
