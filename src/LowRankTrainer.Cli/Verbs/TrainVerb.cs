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
        usage: lrt train <config.yaml> [section.key=value ...] [--dry-run]

        Trains the experiment into output_dir/run_name/<yyyyMMdd-HHmmss>/ (config.yaml, env.json,
        metrics.jsonl, metrics.csv, checkpoints/, final/, summary.json). Bare key=value tokens
        override the config. --dry-run validates, builds the model and prints its trainable
        parameters, then exits. Ctrl+C stops after the current step, saves a checkpoint, exits 130.
        """;

    /// <summary>Runs the verb with the arguments after <c>train</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var dryRun = args.Contains("--dry-run");
        var rest = args.Where(a => a != "--dry-run").ToList();
        var config = ConfigVerbArgs.Load("train", Usage, rest, stdout, stderr, out var exitCode);
        if (config is null) return exitCode;
        try
        {
            return dryRun ? DryRun(config, stdout) : Train(config, stdout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            stderr.WriteLine($"lrt train: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is NonFiniteLossException or InvalidDataException or IOException or TorchException)
        {
            stderr.WriteLine($"lrt train: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static int Train(ExperimentConfig config, TextWriter stdout)
    {
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // let the trainer finish the step and save a checkpoint
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var result = new Trainer(config, ConfigWriter.Write(config), stdout).Run(cancellation.Token);
            return result.Cancelled ? ExitCodes.Cancelled : ExitCodes.Ok;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
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
