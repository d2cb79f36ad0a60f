using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// PyTorch's <c>nn.ModuleList</c>: children registered as <c>0</c>, <c>1</c>, … (so keys read
/// <c>h.0.attn.c_attn.weight</c>), iterated by the owner, which passes whatever extra inputs the blocks need.
/// </summary>
public sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> _items = [];

    /// <summary>Registers <paramref name="module"/> under the next index.</summary>
    public void Add(T module)
    {
        ArgumentNullException.ThrowIfNull(module);
        _items.Add(RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));
    }

    /// <summary>The modules in order.</summary>
    public IReadOnlyList<T> Items => _items;
}
