using System.Globalization;
using LowRankTrainer.Runs;
using LowRankTrainer.Training;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt merge &lt;run folder | adapter folder&gt; [--out DIR] [--probe-batches N] [--device D] [--force]</c>: folds an
/// adapter run's adapter into its base and writes the merged model (<see cref="AdapterMerge"/>), on the run's device and in
/// its precision as <c>lrt eval</c> (<see cref="EvalPlacement"/>).
/// </summary>
public static class MergeVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt merge <run folder | run/final | run/checkpoints/step-NNNNNN> [--out DIR]
                         [--probe-batches N] [--device auto|cpu|cuda|cuda:N] [--force]

        Rebuilds an adapter run's base from its config.yaml (train.seed or model.pretrained),
        injects and loads the adapter (final/, else the latest checkpoint; or the folder named),
        computes the logits of the first N evaluation batches (default 1; the training split when
        there is none), merges (W <- W0 + dW), computes them again and prints max |dlogit| and the
        same relative to max |logit|. Then writes the merged model to DIR (default
        <run folder>/merged/): model.safetensors (the full state dict, loadable with
        model.pretrained: DIR), or for a transformer HF's save_pretrained layout (config.json,
        model.safetensors, tokenizer files), plus merge_report.json. An existing non-empty DIR is
        replaced only with --force. Runs without an adapter are refused. Merging and the probe run
        where lrt eval evaluates (see lrt eval --help): on train.device resolved here, the probe in
        train.dtype on that device (auto: bf16 autocast on CUDA, fp32 on the CPU), so its logits
        are the run's own; the weights are merged and written in fp32. --device overrides the
        device (strictly: a GPU that is not there is an error).
        """;

    /// <summary>Runs the verb with the arguments after <c>merge</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (VerbHelp.Handled(args, Usage, stdout, stderr, out var helpCode)) return helpCode;
        string? output = null;
        var probeBatches = 1;
        var force = false;
        string? device = null;
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--force":
                    force = true;
                    break;
                case "--device":
                    device = RunVerbArgs.DeviceOption("merge", args, ref i, stderr);
                    if (device is null) return ExitCodes.Usage;
                    break;
                case "--out":
                    output = RunVerbArgs.Value("merge", args, ref i, stderr);
                    if (output is null) return ExitCodes.Usage;
                    break;
                case "--probe-batches":
                    var value = RunVerbArgs.Value("merge", args, ref i, stderr);
                    if (value is null) return ExitCodes.Usage;
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out probeBatches) || probeBatches < 1)
                    {
                        stderr.WriteLine($"lrt merge: --probe-batches takes a positive whole number, not '{value}'");
                        return ExitCodes.Usage;
                    }
                    break;
                default:
                    stderr.WriteLine($"lrt merge: unexpected argument '{args[i]}'");
                    stderr.WriteLine(Usage);
                    return ExitCodes.Usage;
            }
        }
        if (RunVerbArgs.Open("merge", args[0], [], stderr, out var openCode) is not { } opened) return openCode;
        var (location, config) = opened;
        if (config.Adapter.Method == "none")
        {
            stderr.WriteLine($"lrt merge: {location.RunDirectory} is not an adapter run (adapter.method: none); " +
                             $"its {RunLocation.FinalFolderName}/ holds the full model already (model.pretrained loads it as it is)");
            return ExitCodes.Usage;
        }
        output ??= AdapterMerge.DefaultOutput(location);
        return VerbErrors.Run("merge", stderr, () =>
        {
            AdapterMerge.CheckOutput(output, force);   // before the minutes of loading, not after
            var placement = RunVerbArgs.Placement("merge", config.Train, device, stderr);
            using var switches = NumericsSwitches.Apply(config.Train);  // train.tf32 / full_determinism, as the run computed
            using var run = RunModel.Open(location, config, placement, stdout.WriteLine);
            stdout.WriteLine($"adapter: {location.WeightsFolder} ({run.Adapter!.Method.Name}, {run.Adapter.Layers.Count} layer(s)) on the base rebuilt from " +
                             (config.Model.Pretrained is { } pretrained ? $"model.pretrained {pretrained}" : $"train.seed {config.Train.Seed}"));
            var report = AdapterMerge.Merge(run, output, probeBatches, force);
            foreach (var line in AdapterMerge.Describe(report)) stdout.WriteLine(line);
            return ExitCodes.Ok;
        });
    }
}
