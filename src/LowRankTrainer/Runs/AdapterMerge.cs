using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LowRankTrainer.Adapters;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Runs;

/// <summary>What <see cref="AdapterMerge.Merge"/> measured and wrote (<c>merge_report.json</c>).</summary>
/// <param name="Method">The adapter method (<c>adapter.method</c>).</param>
/// <param name="Source">The adapter folder that was merged.</param>
/// <param name="Output">The folder written.</param>
/// <param name="Layout"><c>model.safetensors</c> (the trainer's full state dict, what <c>model.pretrained</c> loads) or
/// <c>hf</c> (a transformer in HF's <c>save_pretrained</c> layout).</param>
/// <param name="ProbeSplit">The split the probe rows came from (<c>eval</c>, else <c>train</c>).</param>
/// <param name="ProbeSamples">The probe's rows: the first <paramref name="ProbeBatches"/> batches of <c>eval.per_device_eval_batch_size</c>.</param>
/// <param name="ProbeBatches">The batches asked for.</param>
/// <param name="MaxAbsLogit">max |logit| of the unmerged model on the probe: the scale the difference is measured against.</param>
/// <param name="MaxAbsDiff">max |logit_merged − logit_unmerged| over every probe output.</param>
/// <param name="MaxRelDiff"><paramref name="MaxAbsDiff"/> / <paramref name="MaxAbsLogit"/>.</param>
/// <param name="MaxAbsBaseDiff">max |logit_base − logit_unmerged|, the base with the adapter disabled: how far the adapter moved the
/// model, so that a small <paramref name="MaxAbsDiff"/> means something.</param>
/// <param name="Device">Where the merge and the probe ran (<see cref="EvalPlacement.Device"/>: the run's <c>train.device</c>, or <c>--device</c>).</param>
/// <param name="Precision">The probe's precision (<see cref="EvalPlacement.Precision"/>: <c>fp32</c>, or <c>bf16</c>/<c>fp16</c>
/// autocast), which sets the scale of <paramref name="MaxRelDiff"/>'s rounding (<see cref="AdapterMerge"/>).</param>
public sealed record MergeReport(string Method, string Source, string Output, string Layout, string ProbeSplit, long ProbeSamples, int ProbeBatches,
                                 double MaxAbsLogit, double MaxAbsDiff, double MaxRelDiff, double MaxAbsBaseDiff, string Device, string Precision)
{
    private static readonly JsonSerializerOptions _json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The report as indented snake_case JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, _json);

    /// <summary>Parses <see cref="ToJson"/>'s output.</summary>
    public static MergeReport FromJson(string json) => JsonSerializer.Deserialize<MergeReport>(json, _json) ?? throw new JsonException("empty merge report");
}

/// <summary>
/// <c>lrt merge</c>: folds a run's adapter into its base and writes the merged model (PEFT's <c>merge_and_unload</c> +
/// <c>save_pretrained</c>), measuring on a probe batch that the merged model computes what the adapted one did.
/// </summary>
/// <remarks>
/// <para>Merging sets W ← W₀ + ΔW in every adapted layer (<see cref="AdapterModel.Merge"/>; the bias too where the method
/// moves it), so the forward y = Wx + b equals W₀x + b + Δ(x) up to float32 rounding: the branch's products are summed in
/// another order, each output carrying a relative error of a few ulp (2⁻²⁴ ≈ 6e-8) times the number of terms per dot
/// product. Differences of 1e-6 to 1e-5 relative to max |logit| are rounding; an order of magnitude more is a bug.</para>
/// <para>Both run where the run's own evaluation ran (<see cref="RunModel.Placement"/>: <c>lrt merge</c> opens the run with
/// <see cref="EvalPlacement.For(Config.TrainConfig, string?)"/>, as <c>lrt eval</c>), so the probe's logits are the ones the run
/// computes. ΔW is always formed and added in float32, outside the precision region; but under bf16 autocast each
/// forward rounds its weights and activations to bfloat16 (unit roundoff 2⁻⁸ ≈ 4e-3), W₀ + ΔW as one tensor where the
/// unmerged model rounds W₀ and the adapter's factors apart, so merged and unmerged logits then differ by a bf16 ulp or
/// two of max |logit| (4e-3 to 7e-3 relative for the shipped methods' tiny runs): bf16's rounding, not the merge's
/// (<c>--device cpu</c> on a run with <c>train.dtype: auto</c> probes in fp32). The report names the device and the
/// precision.</para>
/// <para>The merged model is then unloaded (each wrapper replaced by its base layer, so the state dict has the base's own
/// names and no adapter tensors) and written: <c>model.safetensors</c> of the full state dict for the MLP-family models,
/// which <c>model.pretrained</c> loads strictly (<see cref="PretrainedWeights"/>); for a transformer HF's layout
/// (<see cref="PretrainedTransformer.Save"/>) plus the run's tokenizer files, as a full transformer run's <c>final/</c>.
/// Everything goes into a temporary folder beside the output that is renamed into place, so the output is complete or
/// absent; an existing non-empty output is replaced only when asked.</para>
/// </remarks>
public static class AdapterMerge
{
    /// <summary>The report's file name in the output folder.</summary>
    public const string ReportFile = "merge_report.json";

    /// <summary>The default output: <c>&lt;run folder&gt;/merged/</c>.</summary>
    public static string DefaultOutput(RunLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return Path.Combine(location.RunDirectory, "merged");
    }

    /// <summary>
    /// The probe: the first <paramref name="batches"/> batches of <c>eval.per_device_eval_batch_size</c> rows of the
    /// evaluation split, else of the training split; a view of the dataset (dispose it).
    /// </summary>
    public static (Tensor Inputs, string Split) ProbeInputs(RunModel run, int batches)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentOutOfRangeException.ThrowIfLessThan(batches, 1);
        var (set, split) = run.Data.Eval is { Count: > 0 } eval ? (eval, "eval") : (run.Data.Train, "train");
        var rows = Math.Min((long)batches * run.Config.Eval.PerDeviceEvalBatchSize, set.Count);
        return (set.Inputs.Narrow(0, 0, rows), split);
    }

    /// <summary>Merges <paramref name="run"/>'s adapter, checks it on the probe and writes the merged model into <paramref name="output"/>.</summary>
    /// <param name="run">An adapter run, unmerged (it is left merged).</param>
    /// <param name="output">The folder to write (created; its parent too).</param>
    /// <param name="probeBatches">How many evaluation batches the probe holds.</param>
    /// <param name="force">Replace <paramref name="output"/> when it exists and is not empty.</param>
    /// <exception cref="InvalidOperationException">The run has no adapter, or it is merged already.</exception>
    /// <exception cref="IOException"><paramref name="output"/> exists (non-empty, without <paramref name="force"/>; or as a file).</exception>
    public static MergeReport Merge(RunModel run, string output, int probeBatches = 1, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrEmpty(output);
        var adapter = run.Adapter ?? throw new InvalidOperationException(
            $"'{run.Location.RunDirectory}' is not an adapter run (adapter.method: {run.Config.Adapter.Method}): its {RunLocation.FinalFolderName}/ holds the full model already");
        if (adapter.Layers.Any(l => l.Layer.Merged)) throw new InvalidOperationException("the adapter is merged already");
        CheckOutput(output, force);

        var (probe, split) = ProbeInputs(run, probeBatches);
        var probeRows = probe.Size(0);
        double maxLogit, maxDiff, maxBaseDiff;
        using (probe)
        using (var scope = new DisposeScope())
        {
            var unmerged = run.Logits(probe);
            adapter.Disable();
            var baseOnly = run.Logits(probe);
            adapter.Enable();
            adapter.Merge();
            var merged = run.Logits(probe);
            maxLogit = unmerged.Abs().Max().ToDouble();
            maxDiff = merged.Sub(unmerged).Abs().Max().ToDouble();
            maxBaseDiff = baseOnly.Sub(unmerged).Abs().Max().ToDouble();
        }

        var layout = run.Model is TransformerModel ? "hf" : PretrainedWeights.FileName;
        var full = Path.GetFullPath(output);
        var report = new MergeReport(adapter.Method.Name, run.Location.WeightsFolder, full, layout, split, probeRows, probeBatches,
                                     maxLogit, maxDiff, maxLogit > 0 ? maxDiff / maxLogit : maxDiff, maxBaseDiff,
                                     run.Placement.Device.ToString(), run.Placement.Precision.Name);
        // Complete or absent: written aside and renamed (an old output, --force, is replaced only once the new one is whole).
        AtomicWrite.Folder(full, temp =>
        {
            using (Unloaded(run.Model, adapter)) Save(run, temp);
            File.WriteAllText(Path.Combine(temp, ReportFile), report.ToJson() + "\n");
            CheckOutput(full, force); // it may have been filled meanwhile
        });
        return report;
    }

    /// <summary>Refuses an output that is a file, or a non-empty folder without <paramref name="force"/>.</summary>
    /// <exception cref="IOException">The output may not be written.</exception>
    public static void CheckOutput(string output, bool force)
    {
        if (File.Exists(output)) throw new IOException($"'{output}' is a file; give a folder for the merged model");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !force)
        {
            throw new IOException($"'{output}' exists and is not empty; pass --force to replace it, or --out another folder");
        }
    }

    private static void Save(RunModel run, string folder)
    {
        if (run.Model is TransformerModel transformer)
        {
            PretrainedTransformer.SaveWithTokenizer(transformer, folder, run.Config.Data.Tokenizer);
            return;
        }
        using var state = run.Model.StateDict();
        SafetensorsWriter.Write(Path.Combine(folder, PretrainedWeights.FileName), state,
            new Dictionary<string, string> { ["format"] = "pt", ["lrt_weights"] = "full", ["lrt_merged_from"] = run.Config.Adapter.Method });
    }

    /// <summary>
    /// Puts every wrapper's base layer back in its place (PEFT's <c>unload</c>) until disposed, when the wrappers return:
    /// while unloaded the model's state dict has the base's own names, without <c>base_layer</c> or adapter tensors.
    /// </summary>
    private static Restore Unloaded(Module model, AdapterModel adapter)
    {
        var swapped = new List<(Module Parent, string Child, Module Wrapper)>();
        foreach (var (name, layer) in adapter.Layers)
        {
            var cut = name.LastIndexOf('.');
            var parent = cut < 0 ? model : model.GetSubmodule(name[..cut]);
            var child = name[(cut + 1)..];
            swapped.Add((parent, child, parent.ReplaceModule(child, layer.BaseModule)));
        }
        return new Restore(swapped);
    }

    private sealed class Restore(List<(Module Parent, string Child, Module Wrapper)> swapped) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (parent, child, wrapper) in swapped) parent.ReplaceModule(child, wrapper);
            swapped.Clear();
        }
    }

    /// <summary>The report as the lines <c>lrt merge</c> prints.</summary>
    public static IEnumerable<string> Describe(MergeReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        yield return string.Create(CultureInfo.InvariantCulture,
            $"probe: {report.ProbeSamples} {report.ProbeSplit} rows ({report.ProbeBatches} batch{(report.ProbeBatches == 1 ? "" : "es")}) on {report.Device} in {report.Precision}; max |logit| {report.MaxAbsLogit:G6}");
        yield return string.Create(CultureInfo.InvariantCulture,
            $"merged vs unmerged: max |Δlogit| {report.MaxAbsDiff:G3} (relative {report.MaxRelDiff:G3}); the adapter itself moves the logits by up to {report.MaxAbsBaseDiff:G6}");
        yield return $"wrote {report.Output} ({report.Layout}, {report.Method} merged into the base; {ReportFile})";
    }
}
