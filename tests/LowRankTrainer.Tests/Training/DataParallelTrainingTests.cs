using System.Diagnostics;
using System.Text.Json;
using LowRankTrainer.Adapters;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Distributed;
using LowRankTrainer.Training;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// Data-parallel training (issue #11) with two ranks on threads of this process over loopback Gloo, against one
/// process with the same global batch: DDP's promise that W ranks × B/W samples is the B-sample step. The runs use
/// 249 samples and a global batch of 16 × accumulation 2, so every epoch ends in a short batch of 9 that the ranks split
/// 4/5 — the case where the loss scaling n_r·W/N matters. The real-process test (lrt train --nproc 2) is in Cli.Tests.
/// </summary>
// Serial: the trainer seeds the process-global torch RNG.
[Collection(TrainingSerial.Name)]
public class DataParallelTrainingTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    [GlooTheory]
    [InlineData("full fine-tuning")]
    [InlineData("lora + head")]
    [InlineData("lora_sb + head")]
    [InlineData("randlora + head")]
    [InlineData("full mrl-e, 2 sampled sizes per step")]
    public void TwoRanks_EqualOneProcessWithTheSameGlobalBatch(string scenario)
    {
        using var tiny = new TinyRun();
        using var train = First(tiny.Train, 249);
        // 125 evaluation rows in batches of 64: the ranks evaluate 62 and 63 of them and sum their counts.
        using var eval = First(tiny.Eval, 125);
        var config = Config(tiny, scenario);
        if (scenario.Contains("mrl", StringComparison.Ordinal))
        {
            config = config with { Loss = new LossConfig { Type = "mrl", Matryoshka = new MatryoshkaConfig { Dims = [4, 16, 32], DimsPerStep = 2, Efficient = true } } };
        }
        var single = Run(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "single"), PerDeviceTrainBatchSize = 16 } }, eval: eval);
        var ranks = RunRanks(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "ddp"), PerDeviceTrainBatchSize = 8 } }, eval: eval);

        // Rank 0 wrote the run; rank 1 knows its folder and wrote nothing of its own.
        Assert.All(ranks, r => Assert.Equal(ranks[0].RunDirectory, r.RunDirectory));
        Assert.Single(Directory.GetDirectories(Path.Combine(tiny.Root, "ddp", "tiny")));
        Assert.Equal(single.Summary.GlobalStep, ranks[0].Summary.GlobalStep);
        AssertClose(Losses(single.RunDirectory), Losses(ranks[0].RunDirectory), "logged losses");
        AssertClose([single.Summary.EvalLoss!.Value], [ranks[0].Summary.EvalLoss!.Value], "eval loss");
        // Counts summed across ranks: the same hits, so the same accuracies and F1 (the weights differ by ~1e-8 only).
        Assert.Equal(single.Summary.EvalAccuracy, ranks[0].Summary.EvalAccuracy);
        Assert.Equal(single.Summary.EvalF1, ranks[0].Summary.EvalF1);
        Assert.Equal(single.Summary.EvalAccuracyByDim, ranks[0].Summary.EvalAccuracyByDim);
        Assert.Equal(single.Summary.EvalAccuracy, ranks[1].Summary.EvalAccuracy); // every rank gets the whole set's result
        using (var env = JsonDocument.Parse(File.ReadAllText(Path.Combine(ranks[0].RunDirectory, "env.json"))))
        {
            Assert.Equal(2, env.RootElement.GetProperty("world_size").GetInt32());
        }
        AssertSameWeights(single.RunDirectory, ranks[0].RunDirectory, scenario);
    }

    [GlooFact]
    public void TwoRanksWithEvalCheckpointsAndResume_LeaveNoHandleBehind()
    {
        // Both ranks' handles count here (one process): the collectives' temporaries and the per-step agreement
        // must be freed as the step ends, not by the garbage collector.
        using var tiny = new TinyRun();
        using var train = First(tiny.Train, 249);
        var config = Config(tiny, "lora + head");
        config = config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "ddp"), PerDeviceTrainBatchSize = 8 } };
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        var orphansBefore = DisposeScope.OrphansFreed;
        using var cts = new CancellationTokenSource();
        var stopped = RunRanks(tiny, train, config, (_, s) => { if (s == 10) cts.Cancel(); }, _ => cts.Token);
        RunRanks(tiny, train, config with { Train = config.Train with { ResumeFromCheckpoint = stopped[0].LastCheckpoint } });
        Assert.Equal(0, DisposeScope.OrphansFreed - orphansBefore);
        DisposeScope.CollectOrphans();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [GlooFact]
    public void ARankThatInitialisesDifferently_TrainsFromRank0sInit()
    {
        // Rank 1 draws another base and adapter (train.seed 99; same data order): the start-of-run broadcast replaces
        // them with rank 0's, so the run still equals one process seeded as rank 0.
        using var tiny = new TinyRun();
        using var train = First(tiny.Train, 249);
        var config = Config(tiny, "lora + head");
        config = config with { Train = config.Train with { DataSeed = config.Train.Seed } };
        var single = Run(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "single"), PerDeviceTrainBatchSize = 16 } });
        var ddp = config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "ddp"), PerDeviceTrainBatchSize = 8 } };
        var ranks = RunRanks(tiny, train, ddp, configOf: rank => rank == 1 ? ddp with { Train = ddp.Train with { Seed = 99 } } : ddp);
        AssertSameWeights(single.RunDirectory, ranks[0].RunDirectory, "lora");
    }

    [GlooFact]
    public void StopRequestedOnOneRank_StopsBothAtTheSameStep_AndResumingEqualsAStraightRun()
    {
        using var tiny = new TinyRun();
        using var train = First(tiny.Train, 249);
        var config = Config(tiny, "full fine-tuning") with { Train = Config(tiny, "full fine-tuning").Train with { PerDeviceTrainBatchSize = 8 } };
        // Logging every 3 steps: the window 7–9 spans the stop at 8, so rank 0 must carry the window's global sum across it.
        config = config with { Logging = new LoggingConfig { LoggingSteps = 3 } };
        var straight = RunRanks(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "straight") } });

        // Only rank 1 is asked to stop, after step 7: the agreement makes both stop there, and rank 0 saves.
        using var cts = new CancellationTokenSource();
        var stopped = RunRanks(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "stopped") } },
                               (rank, s) => { if (rank == 1 && s == 7) cts.Cancel(); }, rank => rank == 1 ? cts.Token : default);
        Assert.All(stopped, r => Assert.True(r.Cancelled));
        Assert.All(stopped, r => Assert.Equal(8, r.Summary.GlobalStep)); // the request comes after step 7; step 8 sees it
        var checkpoint = Path.Combine(stopped[0].RunDirectory, "checkpoints", "step-000008");
        Assert.True(Directory.Exists(checkpoint), checkpoint);

        var resumed = RunRanks(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "resumed"), ResumeFromCheckpoint = checkpoint } });
        // The weights are bit-identical; a logged loss may differ in the last bits, as the window's shares are then summed
        // in another order (rank 0's saved sum first).
        AssertClose(Losses(straight[0].RunDirectory), Losses(resumed[0].RunDirectory), "logged losses", 1e-12);
        AssertSameWeights(straight[0].RunDirectory, resumed[0].RunDirectory, "full", exact: true);

        // The checkpoint holds the global batch's cursor, so one process with the global batch can continue it too.
        var single = Run(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "single"), PerDeviceTrainBatchSize = 16, ResumeFromCheckpoint = checkpoint } });
        AssertSameWeights(straight[0].RunDirectory, single.RunDirectory, "full");
    }

    [GlooFact]
    public void ANonFiniteLossOnOneRank_SkipsTheStepOnBoth_AsOneProcessSkipsIt()
    {
        using var tiny = new TinyRun();
        using var train = First(tiny.Train, 249);
        using (var row = train.Inputs.Narrow(0, 100, 1)) row.Fill_(float.NaN); // sample 100 poisons one step of each epoch
        var config = Config(tiny, "full fine-tuning");
        config = config with { Train = config.Train with { OnNonfinite = "skip_step" } };
        var single = Run(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "single"), PerDeviceTrainBatchSize = 16 } });
        var ranks = RunRanks(tiny, train, config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "ddp"), PerDeviceTrainBatchSize = 8 } });
        Assert.NotNull(single.Summary.SkippedSteps);
        Assert.Equal(single.Summary.SkippedSteps, ranks[0].Summary.SkippedSteps);
        Assert.Equal(single.Summary.SkippedSteps, ranks[1].Summary.SkippedSteps);
        AssertSameWeights(single.RunDirectory, ranks[0].RunDirectory, "full");
    }

    [GlooFact]
    public void ARankThatFails_StopsTheOtherWithAClearMessage_WithinBoundedTime()
    {
        using var tiny = new TinyRun();
        using var train = First(tiny.Train, 249);
        var config = Config(tiny, "full fine-tuning");
        config = config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "ddp"), PerDeviceTrainBatchSize = 8 } };
        var watch = Stopwatch.StartNew();
        var outcomes = OnRanks(tiny, train, config, (rank, s) =>
        {
            if (rank == 1 && s == 5) throw new IOException("rank 1's disk failed");
        });
        output.WriteLine($"both ranks ended after {watch.Elapsed}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
        Assert.Equal("rank 1's disk failed", Assert.IsType<IOException>(outcomes[1].Error).Message);
        var e = Assert.IsType<TorchException>(outcomes[0].Error);
        output.WriteLine(e.Message);
        Assert.StartsWith("c10d all_reduce on rank 0 of 2 (another rank has stopped", e.Message, StringComparison.Ordinal);
        // Rank 0 records the failure in its run folder.
        var run = Directory.GetDirectories(Path.Combine(tiny.Root, "ddp", "tiny")).Single();
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("failed", summary.RootElement.GetProperty("status").GetString());
    }

    [GlooFact]
    public void ARankThatHangs_FailsTheOtherAfterDdpTimeout()
    {
        // Rank 1 stalls for 8 s after step 3 (alive, its connections open): rank 0 must give up after train.ddp_timeout
        // (2 s) instead of waiting for it, and say so.
        using var tiny = new TinyRun();
        using var train = First(tiny.Train, 249);
        var config = Config(tiny, "full fine-tuning");
        config = config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "ddp"), PerDeviceTrainBatchSize = 8, DdpTimeout = 2 } };
        TimeSpan? rank0Failed = null;
        var watch = Stopwatch.StartNew();
        var outcomes = OnRanks(tiny, train, config, (rank, s) =>
        {
            if (rank == 1 && s == 3) Thread.Sleep(TimeSpan.FromSeconds(8));
        }, groupTimeout: TimeSpan.FromSeconds(config.Train.DdpTimeout), onFailure: rank => { if (rank == 0) rank0Failed = watch.Elapsed; });
        output.WriteLine($"rank 0 failed after {rank0Failed}");
        var e = Assert.IsType<TorchException>(outcomes[0].Error);
        output.WriteLine(e.Message);
        Assert.StartsWith("c10d all_reduce on rank 0 of 2 (another rank has stopped, or is more than 2000 ms behind) failed", e.Message, StringComparison.Ordinal);
        Assert.InRange(rank0Failed!.Value, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(7));
        Assert.IsType<TorchException>(outcomes[1].Error); // rank 1 wakes to a group that is gone
    }

    private static ExperimentConfig Config(TinyRun tiny, string scenario)
    {
        // No dropout: each rank would draw its own masks (as under DDP), so only a dropout-free run equals one process.
        var config = tiny.Config() with { Model = tiny.Config().Model with { Dropout = 0 } };
        config = config with { Train = config.Train with { DdpTimeout = 30 } };
        // The head (layers.2 without dropout) trains in full beside the adapter.
        var method = scenario.Split(' ')[0];
        return method == "full"
            ? config
            : config with { Adapter = new AdapterConfig { Method = method, R = 4, LoraAlpha = 8, LoraSbNumSamples = 32, TargetModules = ["all-linear"], ModulesToSave = ["layers.2"] } };
    }

    private static TensorDataset First(TensorDataset data, int n)
    {
        using var inputs = data.Inputs.Narrow(0, 0, n);
        using var targets = data.Targets.Narrow(0, 0, n);
        return new TensorDataset(inputs.Clone(), targets.Clone());
    }

    private static TrainResult Run(TinyRun tiny, TensorDataset train, ExperimentConfig config, ProcessGroup? group = null,
                                   Action<long>? onStep = null, TensorDataset? eval = null, CancellationToken token = default) =>
        new Trainer(config, TinyRun.Yaml, TextWriter.Null, new TrainerOptions
        {
            TrainData = train, EvalData = eval ?? tiny.Eval, Interactive = false, ProcessGroup = group, StepCompleted = onStep,
            Clock = () => new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        }).Run(token);

    private static TrainResult[] RunRanks(TinyRun tiny, TensorDataset train, ExperimentConfig config, Action<int, long>? onStep = null,
                                          Func<int, CancellationToken>? token = null, Func<int, ExperimentConfig>? configOf = null, TensorDataset? eval = null)
    {
        var outcomes = OnRanks(tiny, train, config, onStep, token, configOf, eval: eval);
        foreach (var o in outcomes)
        {
            if (o.Error is not null) throw new InvalidOperationException($"a rank failed: {o.Error.Message}", o.Error);
        }
        return [.. outcomes.Select(o => o.Result!)];
    }

    // Each rank on its own thread with its own group over a fresh loopback port.
    private static (TrainResult? Result, Exception? Error)[] OnRanks(TinyRun tiny, TensorDataset train, ExperimentConfig config,
                                                                     Action<int, long>? onStep = null, Func<int, CancellationToken>? token = null,
                                                                     Func<int, ExperimentConfig>? configOf = null, TimeSpan? groupTimeout = null,
                                                                     Action<int>? onFailure = null, TensorDataset? eval = null)
    {
        const int world = 2;
        var port = ProcessGroup.FreeLoopbackPort();
        var outcomes = new (TrainResult?, Exception?)[world];
        var threads = Enumerable.Range(0, world).Select(rank => new Thread(() =>
        {
            try
            {
                using var group = ProcessGroup.Join("127.0.0.1", port, rank, world, groupTimeout ?? TimeSpan.FromSeconds(30));
                outcomes[rank] = (Run(tiny, train, configOf?.Invoke(rank) ?? config, group, s => onStep?.Invoke(rank, s), eval, token?.Invoke(rank) ?? default), null);
            }
            catch (Exception e)
            {
                onFailure?.Invoke(rank);
                outcomes[rank] = (null, e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return outcomes;
    }


    private static List<double> Losses(string run) =>
        [.. File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("loss", out _)).Select(e => e.GetProperty("loss").GetDouble())];

    private static void AssertClose(List<double> expected, List<double> actual, string what, double tolerance = Tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {expected[i]} vs {actual[i]}");
        }
    }

    private void AssertSameWeights(string expectedRun, string actualRun, string scenario, bool exact = false)
    {
        var file = !scenario.StartsWith("full", StringComparison.Ordinal) ? AdapterCheckpoint.WeightsFile : TrainingCheckpoint.ModelFile;
        var a = SafetensorsFile.ReadAll(Path.Combine(expectedRun, "final", file));
        var b = SafetensorsFile.ReadAll(Path.Combine(actualRun, "final", file));
        try
        {
            Assert.Equal(a.Keys, b.Keys);
            var worst = 0.0;
            foreach (var (name, x) in a)
            {
                using var diff = (x - b[name]).Abs().Max();
                var d = diff.ToDouble();
                worst = Math.Max(worst, d);
                if (exact) Assert.True(x.ValueEquals(b[name]), $"{name} differs by {d}");
                else Assert.True(d <= Tolerance, $"{name} differs by {d}");
            }
            output.WriteLine($"{scenario}: largest weight difference {worst:E2} over {a.Count} tensors");
        }
        finally
        {
            TinyRun.Free(a);
            TinyRun.Free(b);
        }
    }
}
