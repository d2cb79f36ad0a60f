using LowRankTrainer.Torch;

namespace LowRankTrainer.Data;

/// <summary>
/// An in-memory dataset (PyTorch's <c>TensorDataset</c>): inputs <c>[N, ...]</c> and targets
/// <c>[N, ...]</c> whose first dimension indexes the samples. It owns both tensors and frees them
/// when disposed; they are long-lived state, so they belong to no <see cref="DisposeScope"/>.
/// </summary>
public sealed class TensorDataset : IDisposable
{
    /// <summary>
    /// Wraps (and takes ownership of) <paramref name="inputs"/> and <paramref name="targets"/>,
    /// detaching them from any scope they were created in.
    /// </summary>
    /// <param name="inputs">Features, one row per sample along dimension 0.</param>
    /// <param name="targets">Labels or regression targets, one per sample along dimension 0.</param>
    /// <param name="classNames">For classification, the name of each class index; null otherwise.</param>
    public TensorDataset(Tensor inputs, Tensor targets, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank == 0 || targets.Rank == 0)
        {
            throw new ArgumentException("inputs and targets need a sample dimension (rank ≥ 1)");
        }
        if (inputs.Size(0) != targets.Size(0))
        {
            throw new ArgumentException($"inputs hold {inputs.Size(0)} samples but targets hold {targets.Size(0)}");
        }
        if (inputs.Device != targets.Device)
        {
            throw new ArgumentException($"inputs are on {inputs.Device} but targets on {targets.Device}: keep a dataset on one device");
        }
        Inputs = inputs.DetachFromScope();
        Targets = targets.DetachFromScope();
        ClassNames = classNames;
    }

    /// <summary>The inputs, <c>[N, ...]</c>.</summary>
    public Tensor Inputs { get; }

    /// <summary>The targets, <c>[N, ...]</c> (int64 class indices or float32 values).</summary>
    public Tensor Targets { get; }

    /// <summary>Class names by index, for classification datasets; null for regression.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Number of samples N.</summary>
    public long Count => Inputs.Size(0);

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}
