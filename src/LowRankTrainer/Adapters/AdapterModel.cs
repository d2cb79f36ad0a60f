using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters;

/// <summary>
/// A base model with an adapter injected in place (PEFT's <c>get_peft_model</c>): the selected Linear
/// (and, for a method that supports them, Conv2d) layers are replaced by <see cref="AdapterLayer"/> wrappers, the base is frozen, and only the adapter's
/// tensors, the chosen biases (<see cref="AdapterOptions.Bias"/>) and <see cref="AdapterOptions.ModulesToSave"/>
/// train. The model object stays the caller's; this handle adds merge, unmerge, disable and counts.
/// </summary>
public sealed class AdapterModel
{
    private AdapterModel(Module model, IAdapterMethod method, AdapterOptions options, IReadOnlyList<(string, AdapterLayer)> layers,
                         IReadOnlyList<(string, TensorSlot)> shared)
    {
        Model = model;
        Method = method;
        Options = options;
        Layers = layers;
        Shared = shared;
    }

    /// <summary>The adapted model (the same object that was passed in).</summary>
    public Module Model { get; }

    /// <summary>The method, from <see cref="AdapterRegistry"/>.</summary>
    public IAdapterMethod Method { get; }

    /// <summary>The options it was injected with.</summary>
    public AdapterOptions Options { get; }

    /// <summary>The wrappers by the dotted name of the layer they replaced, in module order.</summary>
    public IReadOnlyList<(string Name, AdapterLayer Layer)> Layers { get; }

    /// <summary>Tensors shared across layers, by model-level name (empty for LoRA).</summary>
    public IReadOnlyList<(string Name, TensorSlot Slot)> Shared { get; }

    /// <summary>
    /// Injects the adapter described by <paramref name="options"/> (its type picks the method) into
    /// <paramref name="model"/>: selects targets (<see cref="TargetSelector"/>), builds the wrappers with a
    /// generator seeded by <see cref="AdapterOptions.InitSeed"/>, freezes every base parameter, puts the
    /// wrappers in place of the targets, then unfreezes the chosen biases and modules to save.
    /// </summary>
    /// <exception cref="ArgumentException">No layer matches (the message lists the module names), or a module to save is missing.</exception>
    public static AdapterModel Inject(Module model, AdapterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Inject(model, AdapterRegistry.ForOptions(options), options);
    }

    /// <summary>As <see cref="Inject(Module, AdapterOptions)"/>, with an explicit method (one not in the registry, e.g. in a test).</summary>
    public static AdapterModel Inject(Module model, IAdapterMethod method, AdapterOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(options);
        if (!method.OptionsType.IsInstanceOfType(options)) throw new ArgumentException($"{method.Name} takes {method.OptionsType.Name}, not {options.GetType().Name}", nameof(options));
        var targets = TargetSelector.Select(model, options, method);
        var names = model.NamedModules().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var missing = options.ModulesToSave.Where(m => !names.Contains(m)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"modules_to_save names {string.Join(", ", missing)}, which the model does not have; " +
                                        $"its modules are: {string.Join(", ", names.Where(n => n.Length > 0))}", nameof(options));
        }

        AdapterInjection injection;
        using (var generator = new Generator(options.InitSeed)) injection = method.Inject(targets, options, generator);
        if (injection.Layers.Count != targets.Count) throw new InvalidOperationException($"{method.Name} built {injection.Layers.Count} layers for {targets.Count} targets");

        // The wrappers are not in the tree yet, so this freezes exactly the base (and a failed Inject above left the model untouched).
        model.Freeze();

        var layers = new List<(string, AdapterLayer)>();
        for (var i = 0; i < targets.Count; i++)
        {
            var t = targets[i];
            var layer = injection.Layers[i];
            if (!ReferenceEquals(layer.BaseModule, t.BaseModule)) throw new InvalidOperationException($"{method.Name}: wrapper {i} does not wrap '{t.Name}'");
            t.Parent.ReplaceModule(t.ChildName, layer);
            layer.Train(t.BaseModule.IsTraining);
            layers.Add((t.Name, layer));
        }

        foreach (var (name, p) in model.NamedParameters())
        {
            if (options.Bias == AdapterBias.All && IsBias(name)) p.RequiresGrad = true;
        }
        if (options.Bias == AdapterBias.AdapterOnly)
        {
            foreach (var (_, layer) in layers) layer.BaseBias?.RequiresGrad = true;
        }
        foreach (var m in options.ModulesToSave) model.GetSubmodule(m).Unfreeze();
        return new AdapterModel(model, method, injection.Resolved ?? options, layers, injection.Shared);
    }

    /// <summary>
    /// One line naming the method, each adapted layer with its size (<see cref="AdapterLayer.SizeLabel"/>, so SVFit's
    /// per-matrix r is reported) and the modules to save.
    /// </summary>
    public string Describe() =>
        $"adapter: {Method.Name} on {Layers.Count} layer(s): " +
        string.Join(", ", Layers.Select(l => l.Layer.SizeLabel is { } size ? $"{l.Name} ({size})" : l.Name)) +
        (Options.ModulesToSave.Count > 0 ? $"; modules_to_save: {string.Join(", ", Options.ModulesToSave)}" : "");

    internal static bool IsBias(string name) => name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal);

    /// <summary>Trainable and total counts, each shared parameter once (PEFT's <c>print_trainable_parameters</c>).</summary>
    public ParameterSummary Summary() => ParameterSummary.Of(Model);

    /// <summary>The tensors an optimizer should get: every parameter that requires grad, each once, in module order.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> TrainableParameters() =>
        Model.NamedParameters().Where(p => p.Parameter.RequiresGrad).Select(p => (p.Name, p.Parameter.Value)).ToList();

    /// <summary>Folds every layer's ΔW into its base weight (W₀ ← W₀ + ΔW): the forward then costs what the base costs.</summary>
    public void Merge()
    {
        foreach (var (_, l) in Layers) l.Merge();
    }

    /// <summary>Subtracts what <see cref="Merge"/> added, restoring W₀ (up to rounding).</summary>
    public void Unmerge()
    {
        foreach (var (_, l) in Layers) l.Unmerge();
    }

    /// <summary>Turns every branch off (unmerging first): the model computes the base alone (PEFT's <c>disable_adapter</c>).</summary>
    public void Disable() => SetEnabled(false);

    /// <summary>Turns every branch back on.</summary>
    public void Enable() => SetEnabled(true);

    private void SetEnabled(bool enabled)
    {
        foreach (var (_, l) in Layers) l.SetEnabled(enabled);
    }
}
