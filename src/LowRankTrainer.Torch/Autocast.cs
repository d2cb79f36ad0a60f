using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

/// <summary>
/// Automatic mixed precision, PyTorch's <c>torch.autocast(device_type, dtype)</c>: inside a region, the ops autocast
/// lists for lower precision (matmul, linear, conv, bmm, …) cast their inputs to <c>dtype</c> and return results in it,
/// precision-sensitive ops (softmax, log_softmax, the losses, norms) run in float32, and everything else follows its
/// inputs; parameters and their gradients stay float32, so the optimizer updates full-precision weights
/// (Micikevicius et al. 2018, "Mixed Precision Training"). The region is per thread, as in libtorch.
/// </summary>
/// <remarks>CPU regions compute in bfloat16 only (libtorch's CPU autocast); CUDA regions in bfloat16 or float16
/// (float16 needs loss scaling to keep small gradients from underflowing).</remarks>
public static unsafe class Autocast
{
    /// <summary>Enters a region on <paramref name="device"/>'s type computing in <paramref name="dtype"/>; dispose to leave it.</summary>
    /// <exception cref="TorchException">A dtype autocast does not take on that device (float16 on the CPU, float32, …).</exception>
    public static AutocastScope Enter(DeviceType device, DType dtype)
    {
        int enabled, previous;
        ShimLibrary.Check(NativeMethods.ts_autocast_enter((int)device, (int)dtype, &enabled, &previous));
        return new AutocastScope(device, enabled, previous);
    }

    /// <summary>Whether autocast is on for <paramref name="device"/> on this thread.</summary>
    public static bool IsEnabled(DeviceType device)
    {
        int on;
        ShimLibrary.Check(NativeMethods.ts_autocast_is_enabled((int)device, &on));
        return on != 0;
    }
}

/// <summary>An autocast region (<see cref="Autocast.Enter"/>); disposing it restores the state before it.</summary>
public readonly unsafe struct AutocastScope : IDisposable
{
    private readonly DeviceType _device;
    private readonly int _previousEnabled;
    private readonly int _previousDtype;

    internal AutocastScope(DeviceType device, int previousEnabled, int previousDtype)
    {
        _device = device;
        _previousEnabled = previousEnabled;
        _previousDtype = previousDtype;
    }

    /// <summary>Leaves the region (restores the previous enabled flag and dtype; clears the cast cache at the outermost).</summary>
    public void Dispose() => ShimLibrary.Check(NativeMethods.ts_autocast_exit((int)_device, _previousEnabled, _previousDtype));
}
