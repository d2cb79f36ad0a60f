using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// The random streams a run draws from, captured for <c>rng_state.safetensors</c>: the model
/// generator (initialisation, then dropout masks) and libtorch's default CPU generator (anything
/// drawing without an explicit generator). Data order needs no state: each epoch's permutation is a
/// function of (data_seed, epoch), and the epoch is in the data cursor.
/// </summary>
internal static class RngState
{
    public const string ModelKey = "model_generator";
    public const string CpuKey = "cpu_default_generator";

    /// <summary>The states as named uint8 tensors (the caller owns them).</summary>
    public static Dictionary<string, Tensor> Capture(Generator model)
    {
        using var cpu = Generator.Default();
        return new Dictionary<string, Tensor> { [ModelKey] = model.GetState(), [CpuKey] = cpu.GetState() };
    }

    /// <summary>Restores what <see cref="Capture"/> saved.</summary>
    public static void Restore(Generator model, IReadOnlyDictionary<string, Tensor> states)
    {
        model.SetState(states[ModelKey]);
        using var cpu = Generator.Default();
        cpu.SetState(states[CpuKey]);
    }
}
