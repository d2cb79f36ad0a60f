using System.Globalization;
using System.Text.Json;
using LowRankTrainer.Adapters;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Torch.Optim.Schedulers;

namespace LowRankTrainer.Training;

/// <summary>
/// A resumable checkpoint folder, <c>checkpoints/step-NNNNNN/</c>:
/// <list type="bullet">
/// <item><c>model.safetensors</c>: the full state dict, or for frozen-base runs only the trainable
/// modules' tensors under the same dotted names (metadata <c>lrt_weights</c> = <c>full</c> or <c>trainable</c>);
/// with an adapter instead <c>adapter_config.json</c> + <c>adapter_model.safetensors</c> in PEFT's layout
/// (<see cref="AdapterCheckpoint"/>): the frozen base is rebuilt from the seed on resume;</item>
/// <item><c>optimizer.safetensors</c> (<c>state.{i}.exp_avg</c>, … as PyTorch names them) and
/// <c>optimizer.json</c> (the param groups);</item>
/// <item><c>scheduler.json</c> (step count and base learning rates);</item>
/// <item><c>rng_state.safetensors</c> (model and default CPU generator states);</item>
/// <item><c>trainer_state.json</c> (HF TrainerState names plus the data cursor).</item>
/// </list>
/// Written into a hidden temporary folder, then renamed into place, so a folder named
/// <c>step-*</c> is always complete.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The weights file.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>The trainer state file; its presence marks a checkpoint folder.</summary>
    public const string StateFile = "trainer_state.json";

    private static readonly JsonSerializerOptions _json = new(MetricsLog.Json) { WriteIndented = true };

    /// <summary>The folder name of step <paramref name="step"/>: <c>step-000500</c> (zero-padded so names sort).</summary>
    public static string FolderName(long step) => "step-" + step.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>The step of a <c>step-NNNNNN</c> folder, or null for any other name.</summary>
    public static long? StepOf(string folder)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        return name.StartsWith("step-", StringComparison.Ordinal)
               && long.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
    }

    /// <summary>Complete checkpoints under <paramref name="checkpointsDirectory"/>, oldest (lowest step) first.</summary>
    public static IReadOnlyList<string> List(string checkpointsDirectory)
    {
        if (!Directory.Exists(checkpointsDirectory)) return [];
        return Directory.GetDirectories(checkpointsDirectory)
            .Where(d => StepOf(d) is not null && File.Exists(Path.Combine(d, StateFile)))
            .OrderBy(d => StepOf(d)!.Value)
            .ToList();
    }

    /// <summary>Deletes the oldest checkpoints so that at most <paramref name="limit"/> remain (HF's save_total_limit).</summary>
    public static void Rotate(string checkpointsDirectory, int? limit)
    {
        if (limit is not { } keep || keep < 1) return;
        var all = List(checkpointsDirectory);
        for (var i = 0; i < all.Count - keep; i++) AtomicWrite.DeleteFolder(all[i]);
    }

    /// <summary>
    /// Writes a checkpoint atomically; returns its folder (left as it is if it already exists). Tensors on a GPU are
    /// written from host copies; with a CUDA <paramref name="device"/> its default generator's state is saved too.
    /// </summary>
    public static string Save(string checkpointsDirectory, long step, IEnumerable<KeyValuePair<string, Tensor>> weights, bool trainableOnly,
                              IOptimizer optimizer, LambdaLr scheduler, Generator modelGenerator, TrainerState state, Device device = default)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Save(checkpointsDirectory, step, folder => SafetensorsWriter.Write(Path.Combine(folder, ModelFile), weights,
            new Dictionary<string, string> { ["format"] = "pt", ["lrt_weights"] = trainableOnly ? "trainable" : "full" }), optimizer, scheduler, modelGenerator, state, device);
    }

    /// <summary>Writes a checkpoint of an adapter run atomically (the adapter in PEFT's layout, no <c>model.safetensors</c>); returns its folder.</summary>
    public static string Save(string checkpointsDirectory, long step, AdapterModel adapter, IOptimizer optimizer, LambdaLr scheduler, Generator modelGenerator,
                              TrainerState state, Device device = default)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        return Save(checkpointsDirectory, step, folder => AdapterCheckpoint.Save(adapter, folder), optimizer, scheduler, modelGenerator, state, device);
    }

    private static string Save(string checkpointsDirectory, long step, Action<string> writeWeights,
                               IOptimizer optimizer, LambdaLr scheduler, Generator modelGenerator, TrainerState state, Device device)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(modelGenerator);
        ArgumentNullException.ThrowIfNull(state);
        var target = Path.Combine(checkpointsDirectory, FolderName(step));
        if (Directory.Exists(target)) return target;
        AtomicWrite.Folder(target, temp =>
        {
            writeWeights(temp);
            using (var opt = optimizer.SaveState())
            {
                SafetensorsWriter.Write(Path.Combine(temp, "optimizer.safetensors"), opt.Tensors);
                File.WriteAllText(Path.Combine(temp, "optimizer.json"), JsonSerializer.Serialize(new { param_groups = opt.ParamGroups }, _json));
            }
            File.WriteAllText(Path.Combine(temp, "scheduler.json"), JsonSerializer.Serialize(scheduler.SaveState(), _json));
            var rng = RngState.Capture(modelGenerator, device);
            try
            {
                SafetensorsWriter.Write(Path.Combine(temp, "rng_state.safetensors"), rng);
            }
            finally
            {
                foreach (var t in rng.Values) t.Dispose();
            }
            // The state file last: with it, the folder counts as a checkpoint.
            File.WriteAllText(Path.Combine(temp, StateFile), state.ToJson());
        });
        return target;
    }

    /// <summary>
    /// Restores a checkpoint into live objects: weights (strict for full checkpoints; for
    /// trainable-only ones every saved tensor must match a parameter of the model), optimizer,
    /// scheduler and RNG states. Returns the trainer state (global step, log history, data cursor).
    /// With <paramref name="adapter"/>, the weights come from the folder's PEFT-layout adapter instead
    /// (its method must be the adapter's, its tensors must match it exactly). Tensors are read on the CPU and copied into
    /// the model's (and optimizer's) tensors wherever they live, so a checkpoint resumes on either device; on a CUDA
    /// <paramref name="device"/> the CUDA generator's saved state (if any) is restored too.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder's weights do not fit the model (or hold an adapter the run does not have, or the reverse).</exception>
    public static TrainerState Load(string folder, Module model, IOptimizer optimizer, LambdaLr scheduler, Generator modelGenerator, AdapterModel? adapter = null,
                                    Device device = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(modelGenerator);
        if (!File.Exists(Path.Combine(folder, StateFile)))
        {
            throw new FileNotFoundException($"'{folder}' is not a checkpoint folder (no {StateFile})", Path.Combine(folder, StateFile));
        }
        var state = TrainerState.FromJson(File.ReadAllText(Path.Combine(folder, StateFile)));
        using var scope = new DisposeScope();
        LoadWeights(folder, model, adapter);
        var groups = JsonSerializer.Deserialize<OptimizerJson>(File.ReadAllText(Path.Combine(folder, "optimizer.json")), _json)
                     ?? throw new InvalidDataException($"{folder}/optimizer.json is empty");
        var tensors = new Dictionary<string, Tensor>(SafetensorsFile.ReadAll(Path.Combine(folder, "optimizer.safetensors")));
        optimizer.LoadState(new OptimizerState(tensors, groups.ParamGroups));
        var sched = JsonSerializer.Deserialize<SchedulerState>(File.ReadAllText(Path.Combine(folder, "scheduler.json")), _json)
                    ?? throw new InvalidDataException($"{folder}/scheduler.json is empty");
        scheduler.LoadState(sched);
        RngState.Restore(modelGenerator, SafetensorsFile.ReadAll(Path.Combine(folder, "rng_state.safetensors")), device);
        return state;
    }

    /// <summary>
    /// Restores only the weights of a checkpoint folder, or of a run's <c>final/</c> when it is in the same layout
    /// (an adapter in PEFT's layout, or <c>model.safetensors</c>): with <paramref name="adapter"/> its tensors from the
    /// folder's adapter (same method, exactly its tensors); without, the model's (strict for full weights; for a
    /// frozen-base run's trainable-only file every trained tensor must be there).
    /// </summary>
    /// <exception cref="InvalidDataException">The folder's weights do not fit the model (or hold an adapter the run does not have, or the reverse).</exception>
    public static void LoadWeights(string folder, Module model, AdapterModel? adapter)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = new DisposeScope();   // the tensors read from the file
        var hasAdapter = File.Exists(Path.Combine(folder, AdapterCheckpoint.WeightsFile));
        if (adapter is not null)
        {
            if (!hasAdapter) throw new InvalidDataException($"{folder} holds no adapter ({AdapterCheckpoint.WeightsFile}), but the config injects {adapter.Method.Name}; resume with the config it was trained with");
            LoadAdapter(folder, adapter);
        }
        else if (hasAdapter)
        {
            throw new InvalidDataException($"{folder} holds an adapter ({AdapterCheckpoint.WeightsFile}), but adapter.method is none; resume with the config it was trained with");
        }
        else
        {
            LoadModel(folder, model);
        }
    }

    private static void LoadAdapter(string folder, AdapterModel adapter)
    {
        AdapterOptions saved;
        try
        {
            saved = AdapterCheckpoint.ReadOptions(folder);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"{folder}/{AdapterCheckpoint.ConfigFile}: {e.Message}", e);
        }
        var savedMethod = AdapterRegistry.ForOptions(saved);
        if (savedMethod.Name != adapter.Method.Name)
        {
            throw new InvalidDataException($"{folder} holds a {savedMethod.Name} adapter, but the config injects {adapter.Method.Name}");
        }
        try
        {
            AdapterCheckpoint.LoadWeights(adapter, folder);
        }
        catch (LoadStateDictException e)
        {
            throw new InvalidDataException($"{folder}/{AdapterCheckpoint.WeightsFile} does not fit the configured adapter (was it saved with other adapter settings?): {e.Message}", e);
        }
    }

    private static void LoadModel(string folder, Module model)
    {
        string kind;
        using (var file = SafetensorsFile.Open(Path.Combine(folder, ModelFile)))
        {
            kind = file.Metadata.TryGetValue("lrt_weights", out var k) ? k : "full";
        }
        var weights = SafetensorsFile.ReadAll(Path.Combine(folder, ModelFile));
        var result = model.LoadStateDict(weights, strict: kind != "trainable");
        if (result.UnexpectedKeys.Count > 0)
        {
            throw new InvalidDataException($"{folder}/{ModelFile} holds tensors the model does not have: {string.Join(", ", result.UnexpectedKeys)}");
        }
        // A trainable-only checkpoint may omit the frozen base (rebuilt from the seed), never a trained tensor.
        var trained = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).Select(p => p.Name).Intersect(result.MissingKeys).ToList();
        if (trained.Count > 0)
        {
            throw new InvalidDataException($"{folder}/{ModelFile} lacks trainable tensors {string.Join(", ", trained)} " +
                                           "(was it saved with other adapter.modules_to_save?)");
        }
    }

    private sealed record OptimizerJson
    {
        public ParamGroupState[] ParamGroups { get; init; } = [];
    }
}
