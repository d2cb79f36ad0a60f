using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// The random streams a run draws from, captured for <c>rng_state.safetensors</c>: the model
/// generator (initialisation, then dropout masks; a CPU generator on any device) and libtorch's default CPU generator
/// (anything drawing without an explicit generator). A run on a GPU adds that device's default generator (PyTorch's
/// <c>torch.cuda.get_rng_state</c>): generator-less dropout there (an adapter's branch dropout) draws from it, so a
/// resume without it would draw other masks. Data order needs no state: each epoch's permutation is a
/// function of (data_seed, epoch), and the epoch is in the data cursor.
/// </summary>
internal static class RngState
{
    public const string ModelKey = "model_generator";
    public const string CpuKey = "cpu_default_generator";
    public const string CudaKey = "cuda_default_generator";

    /// <summary>The states as named uint8 tensors (the caller owns them); with a CUDA <paramref name="device"/>, its default generator's too.</summary>
    public static Dictionary<string, Tensor> Capture(Generator model, Device device = default)
    {
        using var cpu = Generator.Default();
        var states = new Dictionary<string, Tensor> { [ModelKey] = model.GetState(), [CpuKey] = cpu.GetState() };
        if (device.Type == DeviceType.Cuda)
        {
            using var cuda = Generator.Default(device);
            states[CudaKey] = cuda.GetState();
        }
        return states;
    }

    /// <summary>Restores what <see cref="Capture"/> saved (the CUDA generator's state only on a CUDA <paramref name="device"/>).</summary>
    public static void Restore(Generator model, IReadOnlyDictionary<string, Tensor> states, Device device = default)
    {
        model.SetState(states[ModelKey]);
        using var cpu = Generator.Default();
        cpu.SetState(states[CpuKey]);
        // A CPU checkpoint resumed on a GPU leaves the CUDA stream as train.seed set it; a GPU one resumed on the CPU has no use for it.
        if (device.Type == DeviceType.Cuda && states.TryGetValue(CudaKey, out var cudaState))
        {
            using var cuda = Generator.Default(device);
            cuda.SetState(cudaState);
        }
    }
}
