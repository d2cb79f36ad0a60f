using System.Diagnostics;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using Xunit.Abstractions;

namespace LowRankTrainer.Cli.Tests.Launch;

/// <summary>
/// Issue #11's acceptance test, with real processes: <c>lrt train --nproc 2</c> (two ranks over Gloo on loopback) on
/// Fashion-MNIST equals <c>lrt train</c> in one process with the same global batch within 1e-6 after 30 steps, and a
/// two-rank run stopped with Ctrl+C and continued with <c>--nproc 2 --resume auto</c> equals the uninterrupted two-rank
/// run bit for bit. 1,001 samples in global batches of 48 end every epoch in a batch of 41, which the ranks split 20/21.
/// </summary>
public sealed class DataParallelEqualityTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-6;

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private readonly string _root = Directory.CreateTempSubdirectory("lrt-ddp-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string WriteConfig() =>
        WriteFile("ddp.yaml", $"""
            base: {Path.Combine(CliTestPaths.RepositoryRoot(), "configs", "defaults", "train.yaml")}
            name: ddp
            model:
              name: mlp
              hidden_sizes: [64]
              dropout: 0.0
            data:
              max_samples: 1001
              max_eval_samples: 300
            train:
              max_steps: 30
              learning_rate: 3e-3
              num_threads: 1
            eval:
              eval_strategy: steps
              eval_steps: 15
            checkpoint:
              save_strategy: steps
              save_steps: 5
              save_total_limit: 2
            logging:
              logging_steps: 5
            """);

    [GlooFact]
    public void TwoProcesses_EqualOneProcessWithTheSameGlobalBatch_AndResumeAfterCtrlC()
    {
        var config = WriteConfig();
        var single = Train(config, "single", "train.per_device_train_batch_size=48");
        var ddp = Train(config, "ddp", "--nproc", "2", "train.per_device_train_batch_size=24");
        var worst = MaxDifference(Path.Combine(single, "final", "model.safetensors"), Path.Combine(ddp, "final", "model.safetensors"));
        output.WriteLine($"2 processes vs 1: largest weight difference {worst:E2}");
        Assert.True(worst <= Tolerance, $"weights differ by {worst}");
        var a = Summary(single);
        var b = Summary(ddp);
        Assert.Equal(a.GlobalStep, b.GlobalStep);
        Assert.True(Math.Abs(a.EvalLoss!.Value - b.EvalLoss!.Value) <= Tolerance, $"eval loss {a.EvalLoss} vs {b.EvalLoss}");
        Assert.True(Math.Abs(a.TrainLoss!.Value - b.TrainLoss!.Value) <= Tolerance, $"train loss {a.TrainLoss} vs {b.TrainLoss}");

        // Ctrl+C to the launcher once rank 0 has saved step 10; then continue with --resume auto under two ranks.
        var runs = Path.Combine(_root, "resumed");
        using (var lrt = new LrtProcess(_root, "train", config, "--nproc", "2", "train.per_device_train_batch_size=24", $"train.output_dir={runs}"))
        {
            var clock = Stopwatch.StartNew();
            while (!Directory.Exists(runs) || !Directory.EnumerateDirectories(runs, "step-000010", SearchOption.AllDirectories).Any())
            {
                Assert.True(clock.Elapsed < Limit && LrtProcess.IsAlive(lrt.Pid), $"no checkpoint 10\n{lrt.Output}");
                Thread.Sleep(10);
            }
            LrtProcess.Signal(lrt.Pid, "INT");
            var code = lrt.WaitForExit(Limit);
            output.WriteLine(lrt.Output);
            Assert.Equal(130, code);
        }
        var resumed = Train(config, "resumed", "--nproc", "2", "train.per_device_train_batch_size=24", "--resume", "auto");
        Assert.Contains("resumed from", File.ReadAllText(Path.Combine(resumed, "train.log")), StringComparison.Ordinal);
        Assert.Equal(0.0, MaxDifference(Path.Combine(ddp, "final", "model.safetensors"), Path.Combine(resumed, "final", "model.safetensors")));
        Assert.Equal(Summary(ddp).EvalLoss, Summary(resumed).EvalLoss);
    }

    // Runs lrt train to the end under output_dir=<root>/<name>; returns the newest run folder.
    private string Train(string config, string name, params string[] args)
    {
        var outputDir = Path.Combine(_root, name);
        using var lrt = new LrtProcess(_root, ["train", config, $"train.output_dir={outputDir}", .. args]);
        var code = lrt.WaitForExit(Limit);
        Assert.True(code == 0, $"lrt train {string.Join(' ', args)}: exit {code}\n{lrt.Output}");
        return Directory.GetDirectories(Path.Combine(outputDir, "ddp")).Max()!;
    }

    private static RunSummary Summary(string run) => RunSummary.FromJson(File.ReadAllText(Path.Combine(run, "summary.json")));

    private static double MaxDifference(string expectedFile, string actualFile)
    {
        var expected = SafetensorsFile.ReadAll(expectedFile);
        var actual = SafetensorsFile.ReadAll(actualFile);
        try
        {
            Assert.Equal(expected.Keys, actual.Keys);
            using var scope = new DisposeScope();
            return expected.Max(kv => (kv.Value - actual[kv.Key]).Abs().Max().ToDouble());
        }
        finally
        {
            foreach (var t in expected.Values.Concat(actual.Values)) t.Dispose();
        }
    }

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }
}
