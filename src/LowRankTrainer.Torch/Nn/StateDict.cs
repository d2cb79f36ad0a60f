using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// An ordered name → tensor map (PyTorch's state_dict OrderedDict) that can own its tensors:
/// <see cref="Module.StateDict"/> returns one owning detached aliases of the module's tensors;
/// disposing it frees those handles (never the module's own).
/// </summary>
[SuppressMessage("Naming", "CA1710", Justification = "PyTorch's name (state_dict).")]
public sealed class StateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly OrderedDictionary<string, Tensor> _items = new(StringComparer.Ordinal);
    private readonly List<Tensor> _owned = [];

    /// <summary>Adds an entry at the end; with <paramref name="owned"/> the dictionary disposes the tensor.</summary>
    public void Add(string name, Tensor value, bool owned = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        _items.Add(name, value);
        if (owned) _owned.Add(value.DetachFromScope());
    }

    /// <summary>The tensor stored under <paramref name="key"/>.</summary>
    public Tensor this[string key] => _items[key];

    /// <summary>The names, in order.</summary>
    public IEnumerable<string> Keys => _items.Keys;

    /// <summary>The tensors, in order.</summary>
    public IEnumerable<Tensor> Values => _items.Values;

    /// <summary>Number of entries.</summary>
    public int Count => _items.Count;

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public bool ContainsKey(string key) => _items.ContainsKey(key);

    /// <summary>Looks up <paramref name="key"/>.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value) => _items.TryGetValue(key, out value);

    /// <summary>The entries in order.</summary>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Frees the tensors the dictionary owns.</summary>
    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
