namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A non-trainable tensor slot of a <see cref="Module"/> (PyTorch's register_buffer): running
/// statistics, masks, frozen bases. Persistent buffers are part of the state dict; non-persistent
/// ones are not (they are rebuilt by the module), but both move with <see cref="Module.To(Device)"/>.
/// </summary>
public sealed class Buffer : TensorSlot
{
    internal Buffer(Tensor value, bool owned, bool persistent) : base(value, owned) => Persistent = persistent;

    /// <summary>Whether <see cref="Module.StateDict"/> includes the buffer.</summary>
    public bool Persistent { get; }
}
