using LowRankTrainer.Config;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// The process-wide libtorch switches a run may set, under HF TrainingArguments' names: <c>train.tf32</c> (TF32 in
/// cuBLAS matmuls and cuDNN convolutions on Ampere and newer; false leaves libtorch's defaults) and
/// <c>train.full_determinism</c> (<c>torch.use_deterministic_algorithms(True)</c>: ops without a deterministic kernel
/// raise instead of varying run to run). They are set when the run starts and restored when it ends, so a run inside a
/// longer-lived process (tests, sweeps) leaves the process as it found it.
/// </summary>
public sealed class NumericsSwitches : IDisposable
{
    private readonly bool? _previousTf32;
    private readonly bool? _previousDeterministic;

    private NumericsSwitches(bool? previousTf32, bool? previousDeterministic)
    {
        _previousTf32 = previousTf32;
        _previousDeterministic = previousDeterministic;
    }

    /// <summary>Sets what <paramref name="train"/> asks for; dispose to restore.</summary>
    public static NumericsSwitches Apply(TrainConfig train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var tf32 = train.Tf32 ? Cuda.SetAllowTf32(true) : (bool?)null;
        var deterministic = train.FullDeterminism ? TorchRuntime.SetDeterministic(true) : (bool?)null;
        return new NumericsSwitches(tf32, deterministic);
    }

    /// <summary>Restores the switches this run changed.</summary>
    public void Dispose()
    {
        if (_previousTf32 is { } tf32) Cuda.SetAllowTf32(tf32);
        if (_previousDeterministic is { } deterministic) TorchRuntime.SetDeterministic(deterministic);
    }
}
