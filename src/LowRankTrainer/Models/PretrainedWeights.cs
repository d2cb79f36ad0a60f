using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// <c>model.pretrained</c>: copies a full <c>model.safetensors</c> (what a run without an adapter writes into
/// <c>final/</c>) into a freshly built model, strictly — every tensor present with its shape, nothing extra
/// (PyTorch's <c>load_state_dict(strict=True)</c>) — except the modules listed in <c>model.pretrained_skip</c>,
/// which keep their fresh initialisation (a new head for a new label set, as HF's
/// <c>ignore_mismatched_sizes</c> does for a resized classifier, but named explicitly).
/// </summary>
public static class PretrainedWeights
{
    /// <summary>The weights file a run writes into <c>final/</c> (and into each checkpoint).</summary>
    public const string FileName = "model.safetensors";

    /// <summary>
    /// Resolves <paramref name="path"/>: a <c>.safetensors</c> file; a folder holding <see cref="FileName"/>;
    /// or a run folder, whose <c>final/</c> holds it.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing loadable at <paramref name="path"/>.</exception>
    public static string Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) return path;
        foreach (var candidate in new[] { Path.Combine(path, FileName), Path.Combine(path, "final", FileName) })
        {
            if (File.Exists(candidate)) return candidate;
        }
        var hint = File.Exists(Path.Combine(path, "adapter_model.safetensors")) || File.Exists(Path.Combine(path, "final", "adapter_model.safetensors"))
            ? " (it holds an adapter; model.pretrained takes full weights, from a run without adapter.method)"
            : "";
        throw new FileNotFoundException($"model.pretrained: no {FileName} at '{path}' (a .safetensors file, a folder holding {FileName}, or a run folder with final/{FileName}){hint}", path);
    }

    /// <summary>
    /// Loads <paramref name="path"/> (see <see cref="Resolve"/>) into <paramref name="model"/>, leaving the
    /// tensors under <paramref name="skip"/> as they are. On any error nothing is copied.
    /// </summary>
    /// <returns>The resolved file.</returns>
    /// <exception cref="InvalidDataException">The file lacks a tensor, holds one the model does not have, a shape
    /// differs, a skip entry names no module, or the file holds only trainable tensors; the message names the file
    /// and the tensors.</exception>
    public static string Load(Module model, string path, IReadOnlyList<string> skip)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(skip);
        var file = Resolve(path);
        using (var header = SafetensorsFile.Open(file))
        {
            if (header.Metadata.TryGetValue("lrt_weights", out var kind) && kind == "trainable")
            {
                throw new InvalidDataException($"model.pretrained: {file} holds only the trainable modules of a frozen-base run, not a full model");
            }
        }
        bool Skipped(string name) => skip.Any(s => name == s || name.StartsWith(s + ".", StringComparison.Ordinal));
        List<string> names;
        using (var state = model.StateDict()) names = state.Keys.ToList();
        var known = names.ToHashSet(StringComparer.Ordinal);
        var unmatched = skip.Where(s => !names.Any(n => n == s || n.StartsWith(s + ".", StringComparison.Ordinal))).ToList();
        if (unmatched.Count > 0)
        {
            throw new InvalidDataException($"model.pretrained_skip: {string.Join(", ", unmatched)} names no tensor of the model; its tensors are {string.Join(", ", names)}");
        }

        var all = SafetensorsFile.ReadAll(file);
        try
        {
            // Key checks first, so that on any error nothing has been copied.
            var missing = names.Where(n => !Skipped(n) && !all.ContainsKey(n)).ToList();
            var unexpected = all.Keys.Where(k => !Skipped(k) && !known.Contains(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
            {
                var parts = new List<string>();
                if (missing.Count > 0) parts.Add($"lacks {string.Join(", ", missing)}");
                if (unexpected.Count > 0) parts.Add($"holds tensors the model does not have: {string.Join(", ", unexpected)}");
                throw new InvalidDataException($"model.pretrained: {file} {string.Join("; ", parts)} (was it trained with another model.name, model.hidden_sizes or model.num_blocks?)");
            }
            var kept = all.Where(e => !Skipped(e.Key)).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            try
            {
                model.LoadStateDict(kept, strict: false);
            }
            catch (LoadStateDictException e)
            {
                throw new InvalidDataException($"model.pretrained: {file} does not fit the model (list changed layers in model.pretrained_skip to keep their fresh initialisation): {e.Message}", e);
            }
            return file;
        }
        finally
        {
            foreach (var tensor in all.Values) tensor.Dispose();
        }
    }
}
