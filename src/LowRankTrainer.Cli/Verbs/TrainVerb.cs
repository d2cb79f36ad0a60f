using System.Runtime.InteropServices;
using LowRankTrainer.Cli.Launch;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Distributed;
using LowRankTrainer.Training;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt train &lt;config.yaml&gt; [a.b=value ...] [--dry-run] [--nproc N]</c>: trains as the config says, in this process,
/// as one rank of a torchrun-style group (WORLD_SIZE etc. set), or as N local ranks (<c>--nproc</c>).
/// </summary>
public static class TrainVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt train <config.yaml> [section.key=value ...] [--resume [auto|CHECKPOINT]] [--dry-run]
                         [--nproc N [--master-port PORT]]

        Trains the experiment into output_dir/run_name/<yyyyMMdd-HHmmss>/ (config.yaml, env.json,
        metrics.jsonl, metrics.csv, checkpoints/, final/, summary.json). Bare key=value tokens
        override the config. --dry-run validates, builds the model and prints its trainable
        parameters, then exits. --resume continues from a checkpoint folder, or with auto (the default)
        from the newest complete checkpoint of the newest run of this run_name (a killed run included;
        none: start fresh); the continued run equals an uninterrupted one bit for bit on the CPU.
        Ctrl+C (SIGINT) or SIGTERM stops after the current step, saves a checkpoint, exits 130.

        Data-parallel (c10d Gloo): --nproc N starts N ranks of this same command on this machine, as
        torchrun does; each trains on its share of every global batch of per_device_train_batch_size × N,
        and rank 0 alone writes the run folder and prints progress (the other ranks' lines, only on failure,
        read "[rank r] ..."). They meet at 127.0.0.1:PORT (--master-port; a free port by default).
        Each rank gets cores / N intra-op threads unless train.num_threads or LRT_NUM_THREADS is set.
        Ctrl+C or SIGTERM to the launcher is passed on to every rank once: all save and stop at the same
        step (exit 130). When a rank fails, the others stop on their own (their next collective fails) or
        are killed 15 s later; the launcher exits with the first failing rank's code (1 for a signal).
        Without --nproc, torchrun's variables make this process one rank of a group: WORLD_SIZE (ranks;
        1 or unset = a single process), RANK (0 … WORLD_SIZE-1), LOCAL_RANK, MASTER_ADDR and MASTER_PORT
        (rank 0's rendezvous store), e.g. torchrun --nproc-per-node 2 --no-python lrt train config.yaml.
        """;

    /// <summary>Runs the verb with the arguments after <c>train</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (LaunchOptions.Parse(args, out var launchError) is not { } launch)
        {
            stderr.WriteLine($"lrt train: {launchError}");
            stderr.WriteLine(Usage);
            return ExitCodes.Usage;
        }
        var dryRun = launch.Rest.Contains("--dry-run");
        var rest = launch.Rest.Where(a => a != "--dry-run").ToList();
        // --resume [auto|CHECKPOINT] is train.resume_from_checkpoint (HF's flag name), added last so it wins over the config.
        var resume = rest.IndexOf("--resume");
        if (resume >= 0)
        {
            var hasValue = resume + 1 < rest.Count && IsResumeValue(rest[resume + 1]);
            var value = hasValue ? rest[resume + 1] : "auto";
            rest.RemoveRange(resume, hasValue ? 2 : 1);
            rest.Add($"train.resume_from_checkpoint={value}");
        }
        var config = ConfigVerbArgs.Load("train", Usage, rest, stdout, stderr, out var exitCode);
        if (config is null) return exitCode;
        if (dryRun) return VerbErrors.Run("train", stderr, () => DryRun(config, stdout));
        // The launcher has checked the config above, so a bad one is reported once rather than by every rank; the
        // ranks run the same arguments without the launcher's flags.
        if (launch.Nproc is > 1 and var nproc)
        {
            return RequireGloo($"--nproc {nproc}", stderr) ?? LocalLauncher.Run(launch.Rest, nproc, launch.MasterPort, stdout, stderr, configThreads: config.Train.NumThreads);
        }
        if (!TorchrunEnvironment.TryRead(Environment.GetEnvironmentVariable, out var torchrun, out var environmentError))
        {
            stderr.WriteLine($"lrt train: {environmentError}");
            return ExitCodes.Usage;
        }
        return VerbErrors.Run("train", stderr, () => Train(config, torchrun, stdout, stderr));
    }

    // A config file is not a checkpoint folder, so `--resume config.yaml ...` still reads the config.
    private static bool IsResumeValue(string arg) =>
        arg == "auto" || (!arg.StartsWith('-') && !arg.Contains('=', StringComparison.Ordinal) && Directory.Exists(arg));

    private static int Train(ExperimentConfig config, TorchrunEnvironment? torchrun, TextWriter stdout, TextWriter stderr)
    {
        using var cancellation = new CancellationTokenSource();
        // The first SIGINT (Ctrl+C) or SIGTERM (what job schedulers send) lets the trainer finish the step and save a
        // checkpoint; a second one is not intercepted, so the process ends at once as usual.
        void OnSignal(PosixSignalContext context)
        {
            if (cancellation.IsCancellationRequested) return;
            context.Cancel = true;
            cancellation.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        // A rank of `lrt train --nproc` whose launcher was SIGKILLed stops as on Ctrl+C instead of training on unseen.
        using var watch = LauncherWatch.Start(Environment.GetEnvironmentVariable, () =>
        {
            stderr.WriteLine("lrt train: the launcher (lrt train --nproc) is gone; saving a checkpoint and stopping");
            cancellation.Cancel();
        });
        using var group = torchrun is { IsDistributed: true } ? JoinGroup(torchrun, config, stderr) : null;
        if (torchrun is { IsDistributed: true } && group is null) return ExitCodes.Failure;
        var options = group is null ? null : new TrainerOptions { ProcessGroup = group };
        var result = new Trainer(config, ConfigWriter.Write(config), stdout, options).Run(cancellation.Token);
        return result.Cancelled ? ExitCodes.Cancelled : ExitCodes.Ok;
    }

    // Joins the group torchrun's variables describe; null (having said why in one line) when that fails: no Gloo in
    // this shim, the port taken, or the other ranks not there within train.ddp_timeout.
    private static ProcessGroup? JoinGroup(TorchrunEnvironment torchrun, ExperimentConfig config, TextWriter stderr)
    {
        if (RequireGloo($"WORLD_SIZE={torchrun.WorldSize}", stderr) is not null) return null;
        try
        {
            return ProcessGroup.Join(torchrun.MasterAddr!, torchrun.MasterPort, torchrun.Rank, torchrun.WorldSize, TimeSpan.FromSeconds(config.Train.DdpTimeout));
        }
        catch (TorchException e)
        {
            // ProcessGroup's message names the rank, the address and what to check; libtorch may add lines of its own.
            stderr.WriteLine($"lrt train: {FirstLine(e.Message)}");
            return null;
        }
    }

    // Data-parallel training needs the shim's c10d Gloo; without it, say how to get it instead of failing in the join.
    private static int? RequireGloo(string what, TextWriter stderr)
    {
        if (ProcessGroup.IsAvailable) return null;
        stderr.WriteLine($"lrt train: {what} needs data-parallel training, but this shim was built without c10d Gloo; install libgloo-dev and rebuild the shim (tools/setup.sh)");
        return ExitCodes.Failure;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static int DryRun(ExperimentConfig config, TextWriter stdout)
    {
        using var model = InspectVerb.BuildModel(config, out var adapter);
        stdout.WriteLine("config ok; the model:");
        if (adapter is not null) stdout.WriteLine(adapter.Describe());
        stdout.Write(ParameterSummary.Of(model).ToTable());
        return ExitCodes.Ok;
    }
}
