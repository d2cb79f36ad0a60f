using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

/// <summary>
/// A random number generator (PyTorch's torch.Generator): pass it to random factories to get a
/// stream independent of the global seed; <see cref="GetState"/>/<see cref="SetState"/> capture and
/// restore it exactly, which is what resuming a run needs.
/// </summary>
public sealed unsafe class Generator : IDisposable
{
    private nint _handle;

    private Generator(nint handle, Device device)
    {
        _handle = handle;
        Device = device;
    }

    /// <summary>A new generator for <paramref name="device"/>, seeded with <paramref name="seed"/>.</summary>
    public Generator(ulong seed, Device device = default)
    {
        nint h;
        ShimLibrary.Check(NativeMethods.ts_generator_new((int)device.Type, device.Index, seed, &h));
        _handle = h;
        Device = device;
    }

    /// <summary>The device whose random streams this generator drives (a CPU generator draws on the host only).</summary>
    public Device Device { get; }

    /// <summary>A handle on the device's default generator (the one <see cref="TorchRuntime.ManualSeed"/> seeds).</summary>
    public static Generator Default(Device device = default)
    {
        nint h;
        ShimLibrary.Check(NativeMethods.ts_generator_default((int)device.Type, device.Index, &h));
        return new Generator(h, device);
    }

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(Generator));

    /// <summary>Re-seeds the generator (its stream restarts).</summary>
    public void ManualSeed(ulong seed) => ShimLibrary.Check(NativeMethods.ts_generator_set_seed(Handle, seed));

    /// <summary>The seed last set.</summary>
    public ulong Seed
    {
        get
        {
            ulong s;
            ShimLibrary.Check(NativeMethods.ts_generator_initial_seed(Handle, &s));
            return s;
        }
    }

    /// <summary>The complete state as a CPU uint8 tensor (the caller owns it).</summary>
    public Tensor GetState()
    {
        nint r;
        return Tensor.Wrap(NativeMethods.ts_generator_get_state(Handle, &r), r);
    }

    /// <summary>Restores a state captured by <see cref="GetState"/>; the stream continues exactly from there.</summary>
    public void SetState(Tensor state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ShimLibrary.Check(NativeMethods.ts_generator_set_state(Handle, state.Handle));
    }

    /// <summary>Releases the handle (the default generator itself lives on).</summary>
    public void Dispose()
    {
        var h = _handle;
        _handle = 0;
        if (h != 0) NativeMethods.ts_generator_free(h);
    }
}
