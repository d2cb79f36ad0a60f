using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt eval &lt;run folder | final/ | checkpoint folder&gt; [a.b=value ...] [--split eval|train] [--device D] [--out FILE] [--json]</c>:
/// reopens a finished run (<see cref="RunModel"/>) and evaluates it with the trainer's own evaluation, on the run's device
/// and in its precision (<see cref="EvalPlacement"/>).
/// </summary>
public static class EvalVerb
{
    /// <summary>The file written next to the evaluated weights.</summary>
    public const string OutputFile = "eval.json";

    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt eval <run folder | run/final | run/checkpoints/step-NNNNNN> [section.key=value ...]
                        [--split eval|train] [--device auto|cpu|cuda|cuda:N] [--out FILE] [--json]

        Rebuilds the run's model from its config.yaml exactly as training did (same seed, so the
        same frozen base; same adapter; same data), loads the saved weights (final/, else the
        latest checkpoint; or the checkpoint named) and evaluates them with the trainer's code:
        eval_loss and eval_accuracy (eval_f1, accuracy by dim, synthetic_linear's map metrics where
        the run has them) equal the run's summary.json. It evaluates where the run trained and in
        its precision: train.device resolved here (auto: cuda:0 where a GPU is visible, else the
        CPU) and train.dtype on that device (auto: bf16 autocast on CUDA, fp32 on the CPU). A run
        that names cuda explicitly, evaluated where no GPU is usable, is evaluated on the CPU with
        a note on stderr (its numbers may then differ in the last digits). --device overrides the
        device (strictly: a GPU that is not there is an error). key=value tokens override the run's
        config (e.g. data.max_eval_samples=100). --split train evaluates the training split (keys
        train_loss, ...). Writes eval.json next to the weights, or to --out FILE; --json prints it.
        """;

    /// <summary>Runs the verb with the arguments after <c>eval</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (VerbHelp.Handled(args, Usage, stdout, stderr, out var helpCode)) return helpCode;
        var split = "eval";
        string? outFile = null;
        string? device = null;
        var json = false;
        var overrides = new List<string>();
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--device":
                    device = RunVerbArgs.DeviceOption("eval", args, ref i, stderr);
                    if (device is null) return ExitCodes.Usage;
                    break;
                case "--split" or "--out":
                    var option = args[i];
                    var value = RunVerbArgs.Value("eval", args, ref i, stderr);
                    if (value is null) return ExitCodes.Usage;
                    if (option == "--out") outFile = value;
                    else if (value is "eval" or "train") split = value;
                    else
                    {
                        stderr.WriteLine($"lrt eval: --split takes eval or train, not '{value}'");
                        return ExitCodes.Usage;
                    }
                    break;
                case var a when a.StartsWith('-'):
                    stderr.WriteLine($"lrt eval: unknown option '{a}'");
                    stderr.WriteLine(Usage);
                    return ExitCodes.Usage;
                default:
                    overrides.Add(args[i]);
                    break;
            }
        }
        if (RunVerbArgs.Open("eval", args[0], overrides, stderr, out var openCode) is not { } opened) return openCode;
        return VerbErrors.Run("eval", stderr, () =>
        {
            var placement = RunVerbArgs.Placement("eval", opened.Config.Train, device, stderr);
            using var switches = NumericsSwitches.Apply(opened.Config.Train);  // train.tf32 / full_determinism, as the run computed
            using var run = RunModel.Open(opened.Location, opened.Config, placement, json ? null : stdout.WriteLine);
            var watch = Stopwatch.StartNew();
            var result = run.Evaluate(trainSplit: split == "train");
            var report = ToJson(run, split, result, watch.Elapsed.TotalSeconds);
            var path = outFile ?? Path.Combine(run.Location.WeightsFolder, OutputFile);
            var text = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
            File.WriteAllText(path, text + "\n");
            if (json)
            {
                stdout.WriteLine(text);
            }
            else
            {
                stdout.WriteLine($"weights: {run.Location.WeightsFolder}{(run.Adapter is { } adapter ? $" ({adapter.Method.Name} adapter on the base rebuilt from train.seed {run.Config.Train.Seed})" : "")}");
                stdout.WriteLine(Describe(split, result, (long)report["num_samples"]!));
                stdout.WriteLine($"wrote {path}");
            }
            return ExitCodes.Ok;
        });
    }

    /// <summary>
    /// eval.json: where the weights came from, the split and its size, and the metrics under HF's
    /// <c>metric_key_prefix</c> convention (<c>eval_loss</c>, or <c>train_loss</c> for the training split).
    /// </summary>
    private static JsonObject ToJson(RunModel run, string split, EvalResult result, double seconds)
    {
        var samples = split == "train" ? run.Data.Train.Count : run.Data.Eval!.Count;
        var report = new JsonObject
        {
            ["run"] = run.Location.RunDirectory,
            ["weights"] = run.Location.WeightsFolder,
            ["global_step"] = run.Location.CheckpointStep,
            ["split"] = split,
            ["num_samples"] = samples,
            [$"{split}_loss"] = Number(result.Loss),
            [$"{split}_accuracy"] = Number(result.Accuracy),
        };
        if (result.MacroF1 is { } f1) report[$"{split}_f1"] = Number(f1);
        if (result.AccuracyByDim is { } byDim) report[$"{split}_accuracy_by_dim"] = Map(byDim);
        if (result.AccuracyByLayerDim is { } byLayerDim) report[$"{split}_accuracy_by_layer_dim"] = Map(byLayerDim);
        if (result.Metrics is { } metrics) report[$"{split}_metrics"] = Map(metrics);
        report[$"{split}_runtime"] = seconds;
        return report;
    }

    // JSON has no NaN: an undefined metric (no counted targets) is null.
    private static JsonValue? Number(double? value) => value is { } v && double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static JsonObject Map(IReadOnlyDictionary<string, double> values)
    {
        var node = new JsonObject();
        foreach (var (key, value) in values) node[key] = Number(value);
        return node;
    }

    private static string Describe(string split, EvalResult result, long samples)
    {
        var parts = new List<string> { string.Create(CultureInfo.InvariantCulture, $"{split}_loss {result.Loss:F6}") };
        if (result.Accuracy is { } accuracy) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{split}_accuracy {accuracy:P2}"));
        if (result.MacroF1 is { } f1) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{split}_f1 {f1:F4}"));
        if (result.AccuracyByDim is { } byDim)
            parts.Add("by dim " + string.Join(", ", byDim.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}: {kv.Value:P2}"))));
        if (result.Metrics is { } metrics) parts.Add(LinearMapMetrics.Format(metrics));
        return $"{split} on {samples} rows: {string.Join(", ", parts)}";
    }
}
