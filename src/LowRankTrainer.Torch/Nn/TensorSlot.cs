namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A named place in a <see cref="Module"/> that holds one tensor — a <see cref="Parameter"/> or a
/// <see cref="Buffer"/>. Layers read <see cref="Value"/> on every forward, so replacing the tensor
/// (<see cref="Set"/>) changes what the layer computes without touching the layer: that is how an
/// adapter swaps in a merged or re-materialised weight, and how one slot is shared by several
/// modules (tied embeddings, RandLoRA's shared bases).
/// </summary>
/// <remarks>
/// Ownership: a slot either <em>owns</em> its tensor (it was registered or set with
/// <c>owned: true</c>; it never belongs to a <see cref="DisposeScope"/> and is disposed when replaced
/// or when the module is disposed) or <em>borrows</em> it (the caller keeps it alive — typically a
/// weight computed inside a training step's scope). A slot registered in several modules is
/// disposed by whichever of them is disposed first.
/// </remarks>
public abstract class TensorSlot
{
    private Tensor? _value;

    private protected TensorSlot(Tensor value, bool owned) => Set(value, owned);

    /// <summary>The tensor the slot holds now (do not dispose it unless the slot borrows it from you).</summary>
    public Tensor Value => _value is { IsDisposed: false } v ? v
        : throw new ObjectDisposedException(GetType().Name, "the slot's tensor was disposed (with its module, or by its owner)");

    /// <summary>True when the slot disposes its tensor on replacement and with its module.</summary>
    public bool OwnsValue { get; private set; }

    /// <summary>
    /// Puts <paramref name="value"/> in the slot. With <paramref name="owned"/> the slot takes it over
    /// (it leaves its dispose scope); otherwise the caller keeps ownership and must keep it alive while
    /// the slot holds it. The previous tensor is disposed if the slot owned it.
    /// </summary>
    public void Set(Tensor value, bool owned = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        _ = value.Handle;  // throws if already disposed
        var previous = _value;
        var previousOwned = OwnsValue;
        if (owned) value.DetachFromScope();
        _value = value;
        OwnsValue = owned;
        if (previousOwned && previous is not null && !ReferenceEquals(previous, value)) previous.Dispose();
    }

    /// <summary>Disposes the tensor if the slot owns it (the slot is unusable afterwards).</summary>
    internal void Release()
    {
        if (OwnsValue) _value?.Dispose();
    }
}
