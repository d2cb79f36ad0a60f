using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Training;

/// <summary>
/// Chooses what trains. With an empty <c>adapter.modules_to_save</c>, every parameter (full
/// fine-tuning). Otherwise the base is frozen (<see cref="Module.Freeze"/>) and only the listed
/// submodules are unfrozen — PEFT's <c>modules_to_save</c>, e.g. a new classification head on a
/// frozen feature extractor.
/// </summary>
public static class TrainableParameters
{
    /// <summary>
    /// Applies the selection to <paramref name="model"/> and returns the trainable parameters by
    /// dotted name, in the model's order.
    /// </summary>
    /// <exception cref="ArgumentException">A listed module does not exist; the message lists the model's module names.</exception>
    public static IReadOnlyList<(string Name, Tensor Value)> Apply(Module model, IReadOnlyList<string> modulesToSave)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(modulesToSave);
        if (modulesToSave.Count > 0)
        {
            var known = model.NamedModules().Select(m => m.Name).Where(n => n.Length > 0).ToList();
            var unknown = modulesToSave.Where(n => !known.Contains(n, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0)
            {
                throw new ArgumentException($"adapter.modules_to_save names {string.Join(", ", unknown.Select(u => $"'{u}'"))}, " +
                                            $"which the model does not have; its modules are: {string.Join(", ", known)}", nameof(modulesToSave));
            }
            model.Freeze();
            foreach (var name in modulesToSave) model.GetSubmodule(name).Unfreeze();
        }
        else
        {
            model.Unfreeze();
        }
        return model.NamedParameters().Where(p => p.Parameter.RequiresGrad).Select(p => (p.Name, p.Parameter.Value)).ToList();
    }

    /// <summary>
    /// The weights a checkpoint holds: the full state dict, or for a frozen-base run only the tensors
    /// of the trainable modules (the frozen base is rebuilt from the seed on resume).
    /// </summary>
    public static StateDict WeightsToSave(Module model, IReadOnlyList<string> modulesToSave)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(modulesToSave);
        var all = model.StateDict();
        if (modulesToSave.Count == 0) return all;
        var subset = new StateDict();
        foreach (var (name, t) in all)
        {
            if (modulesToSave.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal))) subset.Add(name, t.Alias(), owned: true);
        }
        all.Dispose();
        return subset;
    }
}
