using System.Diagnostics;
using LowRankTrainer.Runs;
using Xunit.Abstractions;

namespace LowRankTrainer.Cli.Tests.Launch;

/// <summary>
/// <c>lrt train --nproc 2</c> as real processes on the synthetic linear task (no files, milliseconds a step): a run
/// finishes into one run folder; a rank SIGKILLed mid-run brings the launcher down in bounded time with both ranks'
/// stories; Ctrl+C saves and exits 130; a SIGKILLed launcher makes its ranks save and stop rather than train on.
/// </summary>
public sealed class LocalLauncherTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);

    private readonly string _root = Directory.CreateTempSubdirectory("lrt-launch-").FullName;

    private readonly List<int> _orphans = [];

    public void Dispose()
    {
        // Ranks outlive a SIGKILLed launcher by design; never leave one behind.
        foreach (var pid in _orphans.Where(LrtProcess.IsAlive)) LrtProcess.Signal(pid, "KILL");
        Directory.Delete(_root, recursive: true);
    }

    private string Runs => Path.Combine(_root, "runs", "ddp");

    // 32 samples, 8 per rank and step (global batch 16); a checkpoint every `saveSteps` steps so a run that is stopped has
    // something to show, and little logging so the pipes stay quiet.
    private string WriteConfig(long maxSteps, int saveSteps)
    {
        var path = Path.Combine(_root, "ddp.yaml");
        File.WriteAllText(path, $"""
            base: {Path.Combine(CliTestPaths.RepositoryRoot(), "configs", "recipes", "synthetic_linear", "task.yaml")}
            name: ddp
            data:
              synthetic_dim: 32
            train:
              output_dir: {Path.Combine(_root, "runs")}
              max_steps: {maxSteps}
              per_device_train_batch_size: 8
              num_threads: 1
            eval:
              eval_strategy: steps
              eval_steps: 1000
            checkpoint:
              save_strategy: steps
              save_steps: {saveSteps}
              save_total_limit: 2
            logging:
              logging_steps: 1000
            """);
        return path;
    }

    private bool AnyCheckpoint() =>
        Directory.Exists(Runs) && Directory.EnumerateDirectories(Runs, "step-*", SearchOption.AllDirectories).Any();

    private void WaitForACheckpoint(LrtProcess lrt)
    {
        var clock = Stopwatch.StartNew();
        while (!AnyCheckpoint())
        {
            Assert.True(clock.Elapsed < Startup, $"no checkpoint after {Startup.TotalSeconds} s\n{lrt.Output}");
            Thread.Sleep(20);
        }
    }

    private (int? Code, TimeSpan Elapsed) WaitForExit(LrtProcess lrt, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var code = lrt.WaitForExit(timeout);
        output.WriteLine($"exit {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} after {clock.Elapsed.TotalSeconds:0.0} s\n{lrt.Output}");
        return (code, clock.Elapsed);
    }

    [GlooFact]
    public void TwoRanks_FinishIntoOneRunFolder()
    {
        using var lrt = new LrtProcess(_root, "train", WriteConfig(maxSteps: 20, saveSteps: 10), "--nproc", "2");
        var (code, _) = WaitForExit(lrt, TimeSpan.FromSeconds(60));
        Assert.Equal(0, code);
        var run = Assert.Single(Directory.GetDirectories(Runs));
        Assert.True(File.Exists(Path.Combine(run, "final", "model.safetensors")), lrt.Output);
        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("success", summary.Status);
        Assert.Equal(20, summary.GlobalStep);
        Assert.Contains("rank 0 is pid ", lrt.Output, StringComparison.Ordinal);
        Assert.Contains("rank 1 is pid ", lrt.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("[rank 1]", lrt.Output, StringComparison.Ordinal); // rank 1 prints nothing unless it fails
        Assert.DoesNotContain("\r", lrt.Output, StringComparison.Ordinal); // through a pipe: plain lines, no progress redraws
    }

    [GlooFact]
    public async Task OnATerminal_Rank0DrawsItsProgressLineInPlace()
    {
        // util-linux's script(1) gives the launcher a pseudo-terminal: rank 0 then writes to it directly and redraws one
        // line with \r, as a single-process run does; through a pipe (the test above) it prints plain lines.
        var config = WriteConfig(maxSteps: 200, saveSteps: 1000);
        var lrt = $"dotnet {Path.Combine(AppContext.BaseDirectory, "lrt.dll")} train {config} --nproc 2 logging.logging_steps=20";
        var info = new System.Diagnostics.ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _root };
        foreach (var a in new[] { "-q", "-e", "-c", lrt, "/dev/null" }) info.ArgumentList.Add(a);
        using var script = System.Diagnostics.Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var text = await script.StandardOutput.ReadToEndAsync(timeout.Token);
        await script.WaitForExitAsync(timeout.Token);
        output.WriteLine(text.Replace("\r", "\\r\n", StringComparison.Ordinal));
        Assert.Equal(0, script.ExitCode);
        Assert.Matches(@"\rstep \d+/200 \| loss ", text); // redrawn at most a few times a second, so not every step
        Assert.Contains("success: 200 steps", text, StringComparison.Ordinal);
    }

    [GlooFact]
    public void ARankSigkilledMidRun_FailsTheLauncherInBoundedTime_NamingBothRanks()
    {
        using var lrt = new LrtProcess(_root, "train", WriteConfig(maxSteps: 10_000_000, saveSteps: 500), "--nproc", "2");
        var rank0 = lrt.RankPid(0, Startup);
        var rank1 = lrt.RankPid(1, Startup);
        WaitForACheckpoint(lrt);
        LrtProcess.Signal(rank1, "KILL");
        var (code, elapsed) = WaitForExit(lrt, TimeSpan.FromSeconds(60));
        Assert.NotNull(code);
        Assert.True(elapsed < TimeSpan.FromSeconds(60));
        Assert.Equal(ExitCodes.Failure, code);
        var text = lrt.Output;
        Assert.Contains($"lrt train --nproc 2: rank 1 (pid {rank1}) was killed by SIGKILL", text, StringComparison.Ordinal);
        // Rank 0 stops by itself (its next collective fails), says why, and is not left for the launcher to kill.
        Assert.Contains("lrt train: c10d ", text, StringComparison.Ordinal);
        Assert.Contains($"lrt train --nproc 2: rank 0 (pid {rank0}) exited with code 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sending SIGKILL", text, StringComparison.Ordinal);
        Assert.False(LrtProcess.IsAlive(rank0));
    }

    [GlooFact]
    public void SigintToTheLauncher_SavesACheckpointAndExits130()
    {
        using var lrt = new LrtProcess(_root, "train", WriteConfig(maxSteps: 10_000_000, saveSteps: 500), "--nproc", "2");
        int[] ranks = [lrt.RankPid(0, Startup), lrt.RankPid(1, Startup)];
        var run = lrt.RunFolder(Startup);
        WaitForACheckpoint(lrt);
        // Each rank leads a session of its own (setsid), so a terminal's Ctrl+C reaches the launcher alone and every rank
        // gets exactly the one SIGINT the launcher forwards.
        Assert.All(ranks, pid => Assert.Equal(pid, LrtProcess.SessionOf(pid)));
        Assert.NotEqual(LrtProcess.SessionOf(lrt.Pid), LrtProcess.SessionOf(ranks[0]));
        LrtProcess.Signal(lrt.Pid, "INT");
        var (code, _) = WaitForExit(lrt, TimeSpan.FromSeconds(60));
        Assert.Equal(ExitCodes.Cancelled, code);
        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("cancelled", summary.Status);
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", $"step-{summary.GlobalStep:D6}", "trainer_state.json")), lrt.Output);
        Assert.Contains($"cancelled after step {summary.GlobalStep}", lrt.Output, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Runs));
    }

    [GlooFact]
    public void ASigkilledLauncher_MakesItsRanksSaveAndStop()
    {
        using var lrt = new LrtProcess(_root, "train", WriteConfig(maxSteps: 10_000_000, saveSteps: 500), "--nproc", "2");
        int[] ranks = [lrt.RankPid(0, Startup), lrt.RankPid(1, Startup)];
        _orphans.AddRange(ranks);
        var run = lrt.RunFolder(Startup);
        WaitForACheckpoint(lrt);
        LrtProcess.Signal(lrt.Pid, "KILL");
        Assert.NotNull(lrt.WaitForExit(TimeSpan.FromSeconds(10)));
        var clock = Stopwatch.StartNew();
        while (ranks.Any(LrtProcess.IsAlive))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "a rank trained on after its launcher was SIGKILLed");
            Thread.Sleep(50);
        }
        output.WriteLine($"ranks stopped {clock.Elapsed.TotalSeconds:0.0} s after the launcher died");
        var summary = RunSummary.FromJson(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("cancelled", summary.Status);
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", $"step-{summary.GlobalStep:D6}", "trainer_state.json")));
    }
}
