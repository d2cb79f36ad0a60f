using System.Diagnostics.CodeAnalysis;

namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A module with a typed forward pass: <c>Module&lt;Tensor, Tensor&gt;</c> for layers, other types
/// for blocks that take or return several tensors.
/// </summary>
/// <typeparam name="TInput">What <see cref="Forward"/> takes.</typeparam>
/// <typeparam name="TOutput">What it returns.</typeparam>
[SuppressMessage("Naming", "CA1716", Justification = "PyTorch's name; VB's Module keyword is no concern for this library.")]
public abstract class Module<TInput, TOutput> : Module
{
    /// <summary>
    /// Computes the output. New tensors join the current <see cref="DisposeScope"/> like any op's
    /// result; parameters are read from their slots on every call.
    /// </summary>
    public abstract TOutput Forward(TInput input);
}
