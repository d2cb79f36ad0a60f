using System.Runtime.InteropServices;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Cli.Verbs;

/// <summary><c>lrt train &lt;config.yaml&gt; [a.b=value ...] [--dry-run]</c>: trains as the config says.</summary>
public static class TrainVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt train <config.yaml> [section.key=value ...] [--resume [auto|CHECKPOINT]] [--dry-run]

        Trains the experiment into output_dir/run_name/<yyyyMMdd-HHmmss>/ (config.yaml, env.json,
        metrics.jsonl, metrics.csv, checkpoints/, final/, summary.json). Bare key=value tokens
        override the config. --dry-run validates, builds the model and prints its trainable
        parameters, then exits. --resume continues from a checkpoint folder, or with auto (the default)
        from the newest complete checkpoint of the newest run of this run_name (a killed run included;
        none: start fresh); the continued run equals an uninterrupted one bit for bit on the CPU.
        Ctrl+C (SIGINT) or SIGTERM stops after the current step, saves a checkpoint, exits 130.
        """;

    /// <summary>Runs the verb with the arguments after <c>train</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var dryRun = args.Contains("--dry-run");
        var rest = args.Where(a => a != "--dry-run").ToList();
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
        return VerbErrors.Run("train", stderr, () => dryRun ? DryRun(config, stdout) : Train(config, stdout));
    }

    // A config file is not a checkpoint folder, so `--resume config.yaml ...` still reads the config.
    private static bool IsResumeValue(string arg) =>
        arg == "auto" || (!arg.StartsWith('-') && !arg.Contains('=', StringComparison.Ordinal) && Directory.Exists(arg));

    private static int Train(ExperimentConfig config, TextWriter stdout)
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
        var result = new Trainer(config, ConfigWriter.Write(config), stdout).Run(cancellation.Token);
        return result.Cancelled ? ExitCodes.Cancelled : ExitCodes.Ok;
    }

    private static int DryRun(ExperimentConfig config, TextWriter stdout)
    {
        using var model = InspectVerb.BuildModel(config, out var adapter);
        stdout.WriteLine("config ok; the model:");
        if (adapter is not null) stdout.WriteLine(adapter.Describe());
        stdout.Write(ParameterSummary.Of(model).ToTable());
        return ExitCodes.Ok;
    }
}
