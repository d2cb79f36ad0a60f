namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A chain of layers applied in order (PyTorch's nn.Sequential): y = fₙ(…f₁(f₀(x))). Children are
/// named "0", "1", … so state-dict keys read <c>0.weight</c>, <c>2.bias</c> exactly as in PyTorch.
/// The intermediate tensors join the current <see cref="DisposeScope"/>.
/// </summary>
public sealed class Sequential : Module<Tensor, Tensor>
{
    private readonly List<string> _names = [];

    /// <summary>Creates the chain; the modules become children "0", "1", … (and are disposed with it).</summary>
    public Sequential(params ReadOnlySpan<Module<Tensor, Tensor>> modules)
    {
        foreach (var m in modules) Append(m);
    }

    /// <summary>Number of layers.</summary>
    public int Count => _names.Count;

    /// <summary>The layer at <paramref name="index"/> (reflecting any <see cref="Module.ReplaceModule"/>).</summary>
    public Module<Tensor, Tensor> this[int index] => (Module<Tensor, Tensor>)GetSubmodule(_names[index]);

    /// <summary>Adds a layer at the end, named by its position; returns this.</summary>
    public Sequential Append(Module<Tensor, Tensor> module)
    {
        var name = _names.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        RegisterModule(name, module);
        _names.Add(name);
        return this;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var x = input;
        for (var i = 0; i < _names.Count; i++) x = this[i].Forward(x);
        return x;
    }
}
