using System.Diagnostics.CodeAnalysis;

namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A building block of a model (PyTorch's nn.Module): ordered registries of parameters, buffers and
/// child modules, with dotted names (<c>layers.0.attn.q_proj.weight</c>) that match PyTorch and
/// Hugging Face checkpoints. Layers derive from <see cref="Module{TInput, TOutput}"/>.
/// </summary>
/// <remarks>
/// <para>Registration is explicit — <see cref="RegisterParameter(string, Tensor, bool)"/>,
/// <see cref="RegisterBuffer(string, Tensor, bool)"/>, <see cref="RegisterModule{T}"/> — never by reflection, so modules
/// are trimming- and AOT-safe, and the order of registration is the order of
/// <see cref="NamedParameters"/> and of the state dict, as in PyTorch.</para>
/// <para>Parameters and buffers live in slots (<see cref="Parameter"/>, <see cref="Buffer"/>): the
/// registration returns the slot, layers read its value on every forward, and anyone may put another
/// tensor in it (a merged weight, a weight re-materialised each step) or register the same slot in
/// another module (shared parameters). Registered tensors leave any <see cref="DisposeScope"/>;
/// <see cref="Dispose()"/> frees what the module's slots own, recursively.</para>
/// </remarks>
[SuppressMessage("Naming", "CA1716", Justification = "PyTorch's name; VB's Module keyword is no concern for this library.")]
public abstract partial class Module : IDisposable
{
    private readonly OrderedDictionary<string, Parameter> _parameters = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, Buffer> _buffers = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, Module> _modules = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>True in training mode (the default); see <see cref="Train"/> and <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    // ---- registration ----

    /// <summary>
    /// Registers <paramref name="value"/> as a parameter named <paramref name="name"/>. The module takes
    /// ownership (the tensor leaves its dispose scope and is freed with the module); the tensor is made
    /// a leaf with <c>requires_grad = <paramref name="requiresGrad"/></c>. Returns the slot.
    /// </summary>
    public Parameter RegisterParameter(string name, Tensor value, bool requiresGrad = true)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckNewName(name);
        if (!value.IsLeaf)
        {
            throw new ArgumentException($"parameter '{name}' must be a leaf tensor (Detach() it, or Set a computed tensor into an existing slot)", nameof(value));
        }
        var slot = new Parameter(value, owned: true);
        value.RequiresGrad = requiresGrad;
        _parameters.Add(name, slot);
        return slot;
    }

    /// <summary>
    /// Registers an existing slot (from another module) under <paramref name="name"/>: both modules then
    /// read and train the same tensor, as a parameter shared in PyTorch. <see cref="NamedParameters"/>
    /// lists it once; the state dict lists it under every name, as PyTorch's does for tied weights.
    /// </summary>
    public Parameter RegisterParameter(string name, Parameter shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        CheckNewName(name);
        _parameters.Add(name, shared);
        return shared;
    }

    /// <summary>
    /// Registers a buffer (state that is not trained): persistent buffers go into the state dict.
    /// The module takes ownership of <paramref name="value"/>. Returns the slot.
    /// </summary>
    public Buffer RegisterBuffer(string name, Tensor value, bool persistent = true)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckNewName(name);
        var slot = new Buffer(value, owned: true, persistent);
        _buffers.Add(name, slot);
        return slot;
    }

    /// <summary>
    /// Registers an existing buffer slot (from another module) under <paramref name="name"/>: both modules
    /// read the same frozen tensor (RandLoRA's shared bases). <see cref="NamedBuffers"/> lists it once and
    /// <see cref="To(Device)"/> moves it once; the state dict lists it under every name when persistent.
    /// </summary>
    public Buffer RegisterBuffer(string name, Buffer shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        CheckNewName(name);
        _buffers.Add(name, shared);
        return shared;
    }

    /// <summary>Registers a child module; its parameters appear as <c>name.&lt;param&gt;</c>. Returns it.</summary>
    public T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckNewName(name);
        if (ReferenceEquals(module, this)) throw new ArgumentException("a module cannot be its own child", nameof(module));
        _modules.Add(name, module);
        return module;
    }

    /// <summary>
    /// Puts <paramref name="module"/> in place of the child named <paramref name="name"/>, keeping its
    /// position (an adapter wrapping a layer); returns the previous child, which the caller now owns.
    /// Only modules that reach their children through the registry (like <see cref="Sequential"/>) or
    /// whose parent re-reads them see the replacement.
    /// </summary>
    public Module ReplaceModule(string name, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!_modules.TryGetValue(name, out var previous)) throw new KeyNotFoundException($"no child module named '{name}'");
        _modules[name] = module;
        return previous;
    }

    /// <summary>
    /// Runs the direct child <paramref name="name"/> on <paramref name="input"/>, looked up in the registry on every
    /// call, so a child replaced by <see cref="ReplaceModule"/> (an adapter wrapping a Linear) is the one that runs.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such child.</exception>
    /// <exception cref="InvalidCastException">The child does not map one tensor to one tensor.</exception>
    protected Tensor CallChild(string name, Tensor input)
    {
        if (!_modules.TryGetValue(name, out var child)) throw new KeyNotFoundException($"no child module named '{name}' in {GetType().Name}");
        return ((Module<Tensor, Tensor>)child).Forward(input);
    }

    private void CheckNewName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.', StringComparison.Ordinal)) throw new ArgumentException($"a name cannot contain '.': '{name}'", nameof(name));
        if (_parameters.ContainsKey(name) || _buffers.ContainsKey(name) || _modules.ContainsKey(name))
        {
            throw new ArgumentException($"'{name}' is already registered in {GetType().Name}", nameof(name));
        }
    }

    // ---- traversal (PyTorch's order: own entries first, then each child's, depth first) ----

    /// <summary>The direct children in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() =>
        _modules.Select(kv => (kv.Key, kv.Value));

    /// <summary>This module (named "") and every descendant, each once, with dotted names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        return Walk(this, "", seen);

        static IEnumerable<(string, Module)> Walk(Module m, string prefix, HashSet<Module> seen)
        {
            if (!seen.Add(m)) yield break;
            yield return (prefix, m);
            foreach (var (name, child) in m._modules)
            {
                foreach (var item in Walk(child, Join(prefix, name), seen)) yield return item;
            }
        }
    }

    /// <summary>Every parameter slot of this module and its descendants, each once (shared slots under their first name).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() => Distinct(AllParameters());

    /// <summary>Every buffer slot, persistent or not, each once.</summary>
    public IEnumerable<(string Name, Buffer Buffer)> NamedBuffers() => Distinct(AllBuffers());

    /// <summary>The current tensors of <see cref="NamedParameters"/> (what an optimizer is given).</summary>
    public IReadOnlyList<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter.Value).ToList();

    /// <summary>The parameters that require grad (what is left to train after <see cref="Freeze"/>).</summary>
    public IReadOnlyList<Tensor> TrainableParameters() =>
        NamedParameters().Select(p => p.Parameter.Value).Where(t => t.RequiresGrad).ToList();

    /// <summary>A descendant by dotted path ("" is this module).</summary>
    public Module GetSubmodule(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var m = this;
        if (path.Length == 0) return m;
        foreach (var part in path.Split('.'))
        {
            if (!m._modules.TryGetValue(part, out var child)) throw new KeyNotFoundException($"no submodule '{path}' ('{part}' is missing)");
            m = child;
        }
        return m;
    }

    /// <summary>A parameter slot by dotted path (<c>0.weight</c>).</summary>
    public Parameter GetParameter(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var cut = path.LastIndexOf('.');
        var owner = cut < 0 ? this : GetSubmodule(path[..cut]);
        return owner._parameters.TryGetValue(path[(cut + 1)..], out var p) ? p : throw new KeyNotFoundException($"no parameter '{path}'");
    }

    // All registrations with their full names, duplicates included (the state dict's view).
    private IEnumerable<(string Name, Parameter Slot)> AllParameters(string prefix = "", HashSet<Module>? seen = null)
    {
        seen ??= new HashSet<Module>(ReferenceEqualityComparer.Instance);
        if (!seen.Add(this)) yield break;
        foreach (var (name, p) in _parameters) yield return (Join(prefix, name), p);
        foreach (var (name, child) in _modules)
        {
            foreach (var item in child.AllParameters(Join(prefix, name), seen)) yield return item;
        }
    }

    private IEnumerable<(string Name, Buffer Slot)> AllBuffers(string prefix = "", HashSet<Module>? seen = null)
    {
        seen ??= new HashSet<Module>(ReferenceEqualityComparer.Instance);
        if (!seen.Add(this)) yield break;
        foreach (var (name, b) in _buffers) yield return (Join(prefix, name), b);
        foreach (var (name, child) in _modules)
        {
            foreach (var item in child.AllBuffers(Join(prefix, name), seen)) yield return item;
        }
    }

    private static IEnumerable<(string, T)> Distinct<T>(IEnumerable<(string Name, T Slot)> items) where T : TensorSlot
    {
        var seen = new HashSet<TensorSlot>(ReferenceEqualityComparer.Instance);
        foreach (var (name, slot) in items)
        {
            if (seen.Add(slot)) yield return (name, slot);
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---- disposal ----

    /// <summary>Frees the tensors this module's slots own, and disposes every child. Idempotent.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases owned tensors and children; override to free extra native state (call base).</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing) return;
        _disposed = true;
        foreach (var p in _parameters.Values) p.Release();
        foreach (var b in _buffers.Values) b.Release();
        foreach (var m in _modules.Values) m.Dispose();
    }
}
