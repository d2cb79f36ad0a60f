using System.Globalization;
using LowRankTrainer.Config;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Training;

/// <summary>Peak CUDA caching-allocator memory since the run started, in MiB (PyTorch's <c>max_memory_allocated</c>/<c>max_memory_reserved</c>).</summary>
/// <param name="PeakAllocatedMib">The most memory tensors held at once.</param>
/// <param name="PeakReservedMib">The most memory the allocator held from the driver (tensors plus its cache): what nvidia-smi shows, less the CUDA context.</param>
public sealed record GpuMemoryPeak(double PeakAllocatedMib, double PeakReservedMib)
{
    /// <summary>From the allocator's byte counts, rounded to 0.01 MiB.</summary>
    public static GpuMemoryPeak Of(CudaMemoryStats stats) => new(Mib(stats.PeakAllocated), Mib(stats.PeakReserved));

    private static double Mib(long bytes) => Math.Round(bytes / (1024.0 * 1024.0), 2);

    /// <summary>The console fragment: <c>peak GPU memory 123.45 MiB allocated, 256.00 MiB reserved</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"peak GPU memory {PeakAllocatedMib:F2} MiB allocated, {PeakReservedMib:F2} MiB reserved");
}

/// <summary>
/// The device one training run uses (<c>train.device</c>, resolved once by <see cref="TrainingDevice"/>) and what the
/// trainer does there: moves the model (after it was built and its adapter injected on the CPU, so a CUDA run starts
/// from the bit-identical weights a CPU run does) and every batch, accounts peak GPU memory from a reset at the start,
/// and empties the allocator's cache on <c>train.empty_cache_steps</c> and at the end. On the CPU every method is a no-op
/// (a batch is used as it is), so CPU runs are unchanged by this class.
/// </summary>
public sealed class RunDevice
{
    private readonly int _emptyCacheSteps;

    private RunDevice(Device device, int emptyCacheSteps)
    {
        Device = device;
        _emptyCacheSteps = emptyCacheSteps;
    }

    /// <summary>The resolved device.</summary>
    public Device Device { get; }

    /// <summary>Whether the run is on a GPU.</summary>
    public bool IsCuda => Device.Type == DeviceType.Cuda;

    /// <summary>
    /// Resolves <c>train.device</c>, refuses combinations that cannot run on it (<see cref="TrainingDevice.CheckSupported"/>),
    /// and on CUDA resets the peak-memory counters, so the peaks reported are this run's.
    /// </summary>
    /// <exception cref="ArgumentException">The device cannot be used (the message names <c>train.device</c> and why).</exception>
    public static RunDevice Start(TrainConfig train, int worldSize)
    {
        ArgumentNullException.ThrowIfNull(train);
        var device = TrainingDevice.Resolve(train.Device);
        TrainingDevice.CheckSupported(device, train, worldSize);
        if (device.Type == DeviceType.Cuda) Cuda.ResetPeakMemoryStats(device.Index);
        return new RunDevice(device, train.EmptyCacheSteps ?? 0);
    }

    /// <summary>
    /// Moves every parameter and buffer of <paramref name="model"/> to the device, keeping each slot and its requires_grad
    /// (<see cref="Module.To(Device)"/>). Call it before the optimizer is built: tensors fetched before the move are stale.
    /// </summary>
    public void MoveModel(Module model) => Move(model, Device);

    /// <summary>Moves <paramref name="model"/> to <paramref name="device"/>; nothing on the CPU, where it was built, so a CPU
    /// run's tensors stay the very ones it created.</summary>
    public static void Move(Module model, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (device.Type == DeviceType.Cuda) model.To(device);
    }

    /// <summary><paramref name="tensor"/> on the device: itself when it is there already, else a copy in the current scope.</summary>
    public Tensor On(Tensor tensor) => On(tensor, Device);

    /// <summary><paramref name="tensor"/> on <paramref name="device"/>: itself when it is there already (no new handle), else a copy.</summary>
    public static Tensor On(Tensor tensor, Device device)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.Device == device ? tensor : tensor.To(device);
    }

    /// <summary>The device of <paramref name="model"/>'s first parameter (or buffer); the CPU for a model without either.</summary>
    public static Device Of(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (_, p) in model.NamedParameters()) return p.Value.Device;
        foreach (var (_, b) in model.NamedBuffers()) return b.Value.Device;
        return Device.Cpu;
    }

    /// <summary>Whether <c>train.empty_cache_steps</c> = <paramref name="every"/> empties the cache after optimizer step <paramref name="step"/>.</summary>
    public static bool EmptyCacheDue(long step, int every) => every > 0 && step > 0 && step % every == 0;

    /// <summary>After optimizer step <paramref name="step"/>: empties the CUDA cache when <c>train.empty_cache_steps</c> says so.</summary>
    public void StepDone(long step)
    {
        if (IsCuda && EmptyCacheDue(step, _emptyCacheSteps)) Cuda.EmptyCache();
    }

    /// <summary>Peak GPU memory since <see cref="Start"/>; null on the CPU.</summary>
    public GpuMemoryPeak? Peak() => IsCuda ? GpuMemoryPeak.Of(Cuda.MemoryStats(Device.Index)) : null;

    /// <summary><paramref name="entry"/> with the run's peak GPU memory so far (unchanged on the CPU).</summary>
    public MetricsEntry WithPeakMemory(MetricsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Peak() is { } p ? entry with { GpuMemPeakAllocMib = p.PeakAllocatedMib, GpuMemPeakReservedMib = p.PeakReservedMib } : entry;
    }

    /// <summary>Training is over: hands the cached blocks back to the driver (HF does the same after its loop), so a process
    /// that goes on (a sweep's next run, a test host) starts from what it really holds.</summary>
    public void Finish()
    {
        if (IsCuda) Cuda.EmptyCache();
    }
}
