using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>
/// A frozen random linear map P ∈ ℝ^{D×k} from the trained vector θ ∈ ℝᵏ to the offset P θ ∈ ℝ^D of all projected
/// parameters (Li et al. 2018): every column of P has (about) unit norm over the whole D, so a step in θ moves the
/// weights by the same length whatever D is. Built once from a seeded generator; holds its own frozen tensors.
/// </summary>
public abstract class IntrinsicProjection : IDisposable
{
    /// <summary>Sets the sizes.</summary>
    protected IntrinsicProjection(long outputSize, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        OutputSize = outputSize;
        Columns = columns;
    }

    /// <summary>D, the length of P θ (the number of projected parameters).</summary>
    public long OutputSize { get; }

    /// <summary>k, the length of θ (d for DID, d − m for SAID).</summary>
    public int Columns { get; }

    /// <summary>P θ, a new differentiable 1-D tensor of length D, in θ's dtype.</summary>
    /// <param name="theta">θ, 1-D of length <see cref="Columns"/>.</param>
    public Tensor Apply(Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.Shape.Length != 1 || theta.Shape[0] != Columns)
        {
            throw new ArgumentException($"intrinsic projection: θ must be 1-D of length {Columns}, got [{string.Join(", ", theta.Shape)}]", nameof(theta));
        }
        if (theta.Device != Device)
        {
            // P is drawn on the CPU (the same P as a CPU run) and follows θ to its device the first time it is used there:
            // a model moved to a GPU after injection moves its registered tensors, but P is no module tensor.
            using var suspended = DisposeScope.Suspend();
            using var noGrad = Autograd.NoGrad();
            MoveTo(theta.Device);
            Device = theta.Device;
        }
        return ApplyCore(theta);
    }

    /// <summary>P θ for a θ of the right shape.</summary>
    protected abstract Tensor ApplyCore(Tensor theta);

    /// <summary>P itself, (D, k), built column by column as P e_j (for tests and small D only).</summary>
    public Tensor Matrix()
    {
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        var columns = new Tensor[Columns];
        for (var j = 0; j < Columns; j++)
        {
            var e = Tensor.Zeros([Columns], DType.Float32, Device);
            e.Narrow(0, j, 1).Fill_(1.0);
            columns[j] = Apply(e);
        }
        return Tensor.Stack(columns, 1).DetachFromScope();
    }

    /// <summary>Refuses a stored projection of <paramref name="bytes"/> above the budget, naming the key and suggesting Fastfood.</summary>
    /// <exception cref="ArgumentException">Over budget.</exception>
    internal static void CheckBudget(string kind, long bytes, long outputSize, int columns, int maxProjectionMb)
    {
        var budget = (long)maxProjectionMb * 1024 * 1024;
        if (bytes > budget)
        {
            throw new ArgumentException(
                $"adapter.max_projection_mb: a {kind} intrinsic projection for D = {outputSize:N0} parameters and d = {columns:N0} needs " +
                $"{bytes / (1024.0 * 1024.0):F0} MiB, over the budget of {maxProjectionMb} MiB; use adapter.projection: fastfood " +
                "(O(D) memory, O(D log D) per step), a smaller d, or raise adapter.max_projection_mb");
        }
    }

    /// <summary>Frees the projection's tensors.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The device P's tensors are on (the CPU, where they are drawn, until θ is used on another).</summary>
    public Device Device { get; private set; }

    /// <summary>
    /// Replaces P's tensors with copies on <paramref name="device"/> and frees the old ones (called with the dispose scope
    /// suspended and grad off). The values are copied exactly, so P is the one drawn from the seed on any device.
    /// </summary>
    protected abstract void MoveTo(Device device);

    /// <summary>Copies <paramref name="tensor"/> to <paramref name="device"/>, frees it, and returns the copy (for <see cref="MoveTo"/>).</summary>
    protected static Tensor Moved(Tensor tensor, Device device)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var moved = tensor.To(device);
        tensor.Dispose();
        return moved;
    }

    /// <summary>Frees the projection's tensors.</summary>
    protected abstract void Dispose(bool disposing);
}
