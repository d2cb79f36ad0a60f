using LowRankTrainer.Config;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Training;

namespace LowRankTrainer.Runs;

/// <summary>
/// Where and in what precision a saved run is evaluated (<c>lrt eval</c>, and <c>lrt merge</c>'s probe): the device its
/// <c>train.device</c> resolves to here (<see cref="TrainingDevice.Resolve(string, CudaInfo, string)"/>, so <c>auto</c> is
/// <c>cuda:0</c> on a GPU machine and the CPU elsewhere) and its <c>train.dtype</c> on that device (<see cref="MixedPrecision"/>: <c>auto</c> is bf16 autocast on
/// CUDA, fp32 on the CPU) — what the trainer's own evaluation used, so the run's summary is reproduced exactly.
/// </summary>
/// <remarks>
/// A run whose config names CUDA explicitly (<c>cuda</c>, <c>cuda:N</c>), evaluated where that GPU cannot be used, is
/// evaluated on the CPU with a note (<see cref="Note"/>) rather than refused: the weights are host tensors and evaluating
/// them elsewhere is still meaningful, only not bit-identical to the summary. An explicit <c>--device</c> is strict, as
/// <c>train.device</c> is in training: a GPU asked for on the command line that is not there is an error.
/// </remarks>
/// <param name="Device">The device the model is moved to and evaluated on.</param>
/// <param name="Precision">The precision region the evaluation's forward passes run in.</param>
/// <param name="Note">A one-line note when the run's own device could not be used here; null otherwise.</param>
public sealed record EvalPlacement(Device Device, MixedPrecision Precision, string? Note = null)
{
    /// <summary>The CPU in fp32, whatever the run trained with: <see cref="RunModel.Open(RunLocation, ExperimentConfig, System.Action{string}?)"/>'s
    /// default, for callers that want host tensors and fp32 outputs (tests' references, library use).</summary>
    public static EvalPlacement Host { get; } = new(Device.Cpu, new MixedPrecision("fp32", Device.Cpu));

    /// <summary>Resolves the placement for <paramref name="train"/> against this process's libtorch.</summary>
    /// <exception cref="ArgumentException"><paramref name="deviceOverride"/> is malformed or names a GPU that is not usable.</exception>
    public static EvalPlacement For(TrainConfig train, string? deviceOverride = null) => For(train, deviceOverride, CudaInfo.Current());

    /// <summary>Resolves the placement for <paramref name="train"/> against <paramref name="cuda"/> (testable without a GPU).</summary>
    /// <param name="train">The run's <c>train</c> section (its <c>device</c> and <c>dtype</c>).</param>
    /// <param name="deviceOverride"><c>--device</c> (auto | cpu | cuda | cuda:N), or null for the run's <c>train.device</c>.</param>
    /// <param name="cuda">What this process knows about CUDA.</param>
    /// <exception cref="ArgumentException"><paramref name="deviceOverride"/> is malformed or names a GPU that is not usable
    /// (<see cref="TrainingDevice"/>'s messages, naming <c>--device</c>); or the run's <c>train.device</c>/<c>train.dtype</c> is malformed.</exception>
    public static EvalPlacement For(TrainConfig train, string? deviceOverride, CudaInfo cuda)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(cuda);
        Device device;
        string? note = null;
        if (deviceOverride is not null)
        {
            device = TrainingDevice.Resolve(deviceOverride, cuda, key: "--device");
        }
        else
        {
            try
            {
                device = TrainingDevice.Resolve(train.Device, cuda);
            }
            catch (ArgumentException e) when (TrainingDevice.IsWellFormed(train.Device))
            {
                device = Device.Cpu;
                note = $"note: the run trained with train.device {train.Device.Trim()}, not usable here ({FirstClause(e.Message)}); " +
                       "evaluating on the CPU, so the numbers may differ from its summary in the last digits";
            }
        }
        return new EvalPlacement(device, new MixedPrecision(train.Dtype, device), note);
    }

    /// <summary>Checks the spelling of a <c>--device</c> value (auto | cpu | cuda | cuda:N), without asking libtorch.</summary>
    /// <returns>The error message, or null when the value is well-formed.</returns>
    public static string? CheckSpelling(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TrainingDevice.IsWellFormed(value) ? null : $"--device must be {TrainingDevice.Choices} (got '{value}')";
    }

    /// <summary>Moves <paramref name="model"/> to <see cref="Device"/> (<see cref="RunDevice.Move"/>: a no-op on the CPU).</summary>
    public void MoveModel(Module model) => RunDevice.Move(model, Device);

    /// <summary>A one-line description, e.g. <c>cuda:0, bf16</c>.</summary>
    public string Describe() => $"{Device}, {Precision.Name}";

    // TrainingDevice's messages read "train.device is X, but <reason>; <advice>": the reason alone, for a one-line note.
    private static string FirstClause(string message)
    {
        var but = message.IndexOf(", but ", StringComparison.Ordinal);
        var reason = but < 0 ? message : message[(but + ", but ".Length)..];
        var cut = reason.IndexOf(';', StringComparison.Ordinal);
        var paren = reason.IndexOf(" (", StringComparison.Ordinal);
        if (paren >= 0 && (cut < 0 || paren < cut)) cut = paren;
        return cut < 0 ? reason : reason[..cut];
    }
}
