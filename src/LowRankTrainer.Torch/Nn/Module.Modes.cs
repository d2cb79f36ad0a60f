namespace LowRankTrainer.Torch.Nn;

// Modes and conversions: train/eval, freeze/unfreeze, device and dtype moves.
public abstract partial class Module
{
    /// <summary>Sets training mode on this module and every descendant (Dropout drops only in training); returns this.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, m) in NamedModules()) m.IsTraining = training;
        return this;
    }

    /// <summary>Evaluation mode (<c>Train(false)</c>): Dropout becomes the identity; returns this.</summary>
    public Module Eval() => Train(false);

    /// <summary>Stops gradients for every parameter (requires_grad = false on each leaf); returns this.</summary>
    public Module Freeze() => SetRequiresGrad(false);

    /// <summary>Makes every parameter trainable again (requires_grad = true on each leaf); returns this.</summary>
    public Module Unfreeze() => SetRequiresGrad(true);

    private Module SetRequiresGrad(bool value)
    {
        foreach (var (_, p) in NamedParameters()) p.RequiresGrad = value;
        return this;
    }

    /// <summary>Moves every parameter and buffer to <paramref name="device"/>; returns this.</summary>
    public Module To(Device device) => Convert(device, null);

    /// <summary>
    /// Converts every floating-point parameter and buffer to <paramref name="dtype"/> (integer and bool
    /// buffers keep theirs, as in PyTorch); returns this.
    /// </summary>
    public Module To(DType dtype) => Convert(null, dtype);

    /// <summary>Moves to <paramref name="device"/> and converts floating-point tensors to <paramref name="dtype"/>; returns this.</summary>
    public Module To(Device device, DType dtype) => Convert(device, dtype);

    // PyTorch keeps each nn.Parameter object and swaps its .data. Here the slots are kept (so layers,
    // shared registrations and anything holding a slot see the move) but each slot gets a new tensor:
    // a leaf with the old requires_grad and no gradient. Tensors fetched earlier (Parameters(), an
    // optimizer built before the move) are stale afterwards — move first, then build the optimizer,
    // which is PyTorch's advice too. Owned old tensors are freed; borrowed ones are left to their owner.
    private Module Convert(Device? device, DType? dtype)
    {
        var slots = new List<TensorSlot>();
        slots.AddRange(NamedParameters().Select(p => (TensorSlot)p.Parameter));
        slots.AddRange(NamedBuffers().Select(b => (TensorSlot)b.Buffer));
        using var suspended = DisposeScope.Suspend();
        using var noGrad = Autograd.NoGrad();
        foreach (var slot in slots)
        {
            var old = slot.Value;
            var targetDevice = device ?? old.Device;
            var targetDType = dtype is { } d && old.DType.IsFloatingPoint() ? d : old.DType;
            if (targetDevice == old.Device && targetDType == old.DType) continue;
            var moved = old.To(targetDevice, targetDType);
            if (slot is Parameter && old.RequiresGrad) moved.RequiresGrad = true;
            slot.Set(moved, owned: true);
        }
        return this;
    }
}
