namespace LowRankTrainer.Torch.Nn;

// state_dict / load_state_dict.
public abstract partial class Module
{
    /// <summary>
    /// The parameters and persistent buffers by dotted name, in PyTorch's order (each module's own
    /// parameters, then its buffers, then its children's). The values are new handles, detached from
    /// autograd, that share storage with the module's tensors; the returned <see cref="StateDict"/>
    /// owns them (they join no dispose scope) and frees them when disposed — the module's own tensors
    /// are untouched. A slot shared between modules appears under each of its names, as in PyTorch.
    /// </summary>
    public StateDict StateDict()
    {
        var result = new StateDict();
        using var suspended = DisposeScope.Suspend();
        foreach (var (name, value) in PersistentEntries()) result.Add(name, value.Detach(), owned: true);
        return result;
    }

    private List<(string Name, Tensor Value)> PersistentEntries()
    {
        // Walk module by module so each one's parameters precede its buffers (PyTorch's order).
        var entries = new List<(string, Tensor)>();
        foreach (var (prefix, m) in NamedModules())
        {
            foreach (var (name, p) in m._parameters) entries.Add((Join(prefix, name), p.Value));
            foreach (var (name, b) in m._buffers)
            {
                if (b.Persistent) entries.Add((Join(prefix, name), b.Value));
            }
        }
        return entries;
    }

    /// <summary>
    /// Copies the tensors of <paramref name="stateDict"/> into this module's parameters and persistent
    /// buffers, in place (under no-grad; the dtype and device of the module's tensors are kept, so
    /// tensor identity and any optimizer holding them are preserved).
    /// </summary>
    /// <param name="stateDict">Name → tensor; any dictionary (a <see cref="Nn.StateDict"/>, a loaded checkpoint).</param>
    /// <param name="strict">When true (the default), a missing or unexpected key is an error.</param>
    /// <returns>The keys that were missing and unexpected (both empty after a strict load).</returns>
    /// <exception cref="LoadStateDictException">
    /// With strict, when a key is missing or unexpected; always, when a shape differs (as PyTorch does,
    /// a tensor of the wrong shape is never silently skipped). The exception lists every offending key,
    /// mis-shaped ones with both shapes, and nothing is copied.
    /// </exception>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var entries = PersistentEntries();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        var copies = new List<(Tensor Target, Tensor Source)>();
        foreach (var (name, target) in entries)
        {
            expected.Add(name);
            if (!stateDict.TryGetValue(name, out var source))
            {
                missing.Add(name);
                continue;
            }
            ArgumentNullException.ThrowIfNull(source, $"stateDict[\"{name}\"]");
            var want = target.Shape;
            var got = source.Shape;
            if (!want.AsSpan().SequenceEqual(got)) mismatched.Add(new ShapeMismatch(name, want, got));
            else copies.Add((target, source));
        }
        var unexpected = stateDict.Keys.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            throw new LoadStateDictException(GetType().Name, strict ? missing : [], strict ? unexpected : [], mismatched);
        }
        using (Autograd.NoGrad())
        {
            foreach (var (target, source) in copies) target.Copy_(source);
        }
        return new LoadStateDictResult(missing, unexpected);
    }
}
