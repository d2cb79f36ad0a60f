namespace LowRankTrainer.Training;

/// <summary>
/// The training watchdog fired: the loss (or the gradient norm) of a step was NaN or ±∞, so the run
/// stops before the optimizer can write non-finite values into the weights.
/// </summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public NonFiniteLossException() : base("the loss is not finite") { }

    /// <summary>Creates the exception with a message.</summary>
    public NonFiniteLossException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public NonFiniteLossException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The optimizer step (1-based) at which the value was seen.</summary>
    public long Step { get; init; }

    /// <summary>The value seen (NaN or ±∞).</summary>
    public double Value { get; init; }
}
