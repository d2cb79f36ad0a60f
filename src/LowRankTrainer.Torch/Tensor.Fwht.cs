using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// The fast Walsh–Hadamard transform (src/native/shim_fwht.cpp).
public sealed unsafe partial class Tensor
{
    /// <summary>
    /// The unnormalised fast Walsh–Hadamard transform along the last dimension: each row x (length
    /// n = 2^k) becomes H_n x, with H_1 = [1], H_2n = [[H_n, H_n], [H_n, −H_n]] (entries ±1, H Hᵀ = n·I),
    /// in O(n log n) additions. Differentiable: H is symmetric, so the gradient is H applied to the
    /// incoming gradient. CPU, float32 or float64.
    /// </summary>
    /// <exception cref="TorchException">The last dimension is not a power of two, or the tensor is not on the CPU.</exception>
    public Tensor Fwht() => Unary(&NativeMethods.ts_fwht);

    /// <summary>
    /// <see cref="Fwht"/> in place on a contiguous tensor (no autograd record; refused for a tensor that
    /// requires grad while grad mode is on). Returns this tensor.
    /// </summary>
    public Tensor Fwht_()
    {
        ShimLibrary.Check(NativeMethods.ts_fwht_(Handle));
        return this;
    }
}
