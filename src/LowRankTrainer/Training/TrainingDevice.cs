using System.Globalization;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>What the process knows about CUDA when <c>train.device</c> is resolved (from <see cref="TorchRuntime.GetBuildInfo"/>).</summary>
/// <param name="TorchVersion">libtorch's version, for messages.</param>
/// <param name="Compiled">Whether the loaded libtorch (and shim) has CUDA at all.</param>
/// <param name="Available">Whether libtorch sees a usable GPU.</param>
/// <param name="DeviceCount">How many GPUs it sees.</param>
public sealed record CudaInfo(string TorchVersion, bool Compiled, bool Available, int DeviceCount)
{
    /// <summary>This process's CUDA situation.</summary>
    public static CudaInfo Current()
    {
        var info = TorchRuntime.GetBuildInfo();
        return new CudaInfo(info.TorchVersion, info.CudaCompiled, info.CudaAvailable, info.CudaDeviceCount);
    }
}

/// <summary>
/// Resolves <c>train.device</c> (<c>auto</c> | <c>cpu</c> | <c>cuda</c> | <c>cuda:N</c>) once per run, as HF Trainer
/// picks its device: <c>auto</c> is <c>cuda:0</c> where libtorch sees a GPU and the CPU elsewhere (so CPU-only CI keeps
/// training on the CPU). An explicit CUDA request that cannot be met is an error that names the key and the reason,
/// never a silent fall-back to the CPU: a run asked to use a GPU that quietly ran 50× slower would mislead.
/// </summary>
public static class TrainingDevice
{
    /// <summary>The accepted spellings, for messages and the validator.</summary>
    public const string Choices = "auto, cpu, cuda or cuda:N";

    /// <summary>Resolves <paramref name="setting"/> against this process's libtorch.</summary>
    /// <exception cref="ArgumentException">The setting is malformed or asks for a GPU this process cannot use.</exception>
    public static Device Resolve(string setting) => Resolve(setting, CudaInfo.Current());

    /// <summary>Whether <paramref name="setting"/> is spelled as one of <see cref="Choices"/> (nothing asked of libtorch).</summary>
    public static bool IsWellFormed(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return IsAuto(setting) || Device.TryParse(setting, out _);
    }

    /// <summary>Resolves <paramref name="setting"/> against <paramref name="cuda"/> (separate so the messages are testable without a GPU).</summary>
    /// <param name="setting">auto | cpu | cuda | cuda:N.</param>
    /// <param name="cuda">What the process knows about CUDA.</param>
    /// <param name="key">What the messages call the setting (<c>lrt eval</c> passes <c>--device</c>).</param>
    /// <exception cref="ArgumentException">The setting is malformed or asks for a GPU that <paramref name="cuda"/> does not offer.</exception>
    public static Device Resolve(string setting, CudaInfo cuda, string key = "train.device")
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(cuda);
        var usable = cuda.Compiled && cuda.Available && cuda.DeviceCount > 0;
        if (IsAuto(setting)) return usable ? Device.Cuda(0) : Device.Cpu;
        if (!Device.TryParse(setting, out var device)) throw new ArgumentException($"{key} must be {Choices} (got '{setting}')");
        if (device.Type == DeviceType.Cpu) return device;
        if (!cuda.Compiled)
        {
            throw new ArgumentException($"{key} is {setting}, but the loaded libtorch {cuda.TorchVersion} is a CPU-only build " +
                                        "(Debian's libtorch has no CUDA); build the shim against a CUDA PyTorch (tools/build_shim.sh) " +
                                        $"or set {key}: cpu (auto picks the GPU when there is one)");
        }
        if (!usable)
        {
            throw new ArgumentException($"{key} is {setting}, but libtorch {cuda.TorchVersion} has CUDA and sees no GPU " +
                                        $"(no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides them); check nvidia-smi, or set {key}: cpu");
        }
        if (device.Index >= cuda.DeviceCount)
        {
            var visible = cuda.DeviceCount == 1 ? "cuda:0" : string.Create(CultureInfo.InvariantCulture, $"cuda:0 … cuda:{cuda.DeviceCount - 1}");
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{key} is {setting}, but libtorch sees {cuda.DeviceCount} GPU(s) ({visible})"));
        }
        return device;
    }

    private static bool IsAuto(string setting) => setting.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The checks that need the resolved device and the rest of <paramref name="train"/>: fused AdamW on CUDA is
    /// libtorch's own <c>_fused_adamw_</c>, from libtorch 2.4 (<paramref name="torchVersion"/>: the linked libtorch's,
    /// by default); data parallelism runs over Gloo, which (here) moves CPU tensors only.
    /// </summary>
    /// <exception cref="ArgumentException">The combination cannot run.</exception>
    public static void CheckSupported(Device device, Config.TrainConfig train, int worldSize, Version? torchVersion = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (device.Type != DeviceType.Cuda) return;
        var resolved = IsAuto(train.Device) ? $"auto (resolved to {device})" : device.ToString();
        if (train.Optim == "adamw_torch_fused")
        {
            var version = torchVersion ?? TorchRuntime.GetBuildInfo().TorchRelease;
            if (version < new Version(2, 4))
            {
                throw new ArgumentException($"train.optim adamw_torch_fused on CUDA needs libtorch 2.4 or newer (its _fused_adamw_), but this shim " +
                                            $"links libtorch {version} and train.device is {resolved}; use adamw_torch");
            }
        }
        if (worldSize > 1)
        {
            throw new ArgumentException($"data-parallel training ({worldSize} ranks) runs over c10d Gloo on the CPU only; NCCL (CUDA) is not " +
                                        $"supported yet, but train.device is {resolved}: train in one process on the GPU, or set train.device: cpu");
        }
    }
}
