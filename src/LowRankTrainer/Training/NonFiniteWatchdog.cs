using System.Globalization;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Training;

/// <summary>
/// Guards the weights against NaN and ±∞: every micro-batch's loss and every step's global gradient norm are checked
/// before the optimizer runs, so a non-finite value never reaches the weights.
/// </summary>
/// <remarks>
/// <para><c>train.on_nonfinite</c> chooses what happens then:</para>
/// <list type="bullet">
/// <item><c>stop</c> (default): the run ends with <see cref="NonFiniteLossException"/>, whose message names the step,
/// the tensor (the loss, or the first trainable parameter whose gradient holds NaN/∞) and the last good checkpoint,
/// which is kept as it is.</item>
/// <item><c>skip_step</c>: the step's gradients are dropped and neither the optimizer nor the learning-rate schedule
/// steps — what HF Trainer does when AMP's GradScaler skips a step (<c>optimizer_was_run</c> false) — while the global
/// step and the data cursor still advance. More than <c>train.max_skipped_steps</c> skipped steps in a row stop the run
/// as <c>stop</c> would: a model that only produces NaN is not training.</item>
/// </list>
/// </remarks>
/// <param name="policy"><c>stop</c> or <c>skip_step</c>.</param>
/// <param name="maxConsecutiveSkips">How many steps in a row <c>skip_step</c> may skip before the run stops.</param>
/// <param name="lastCheckpoint">The newest checkpoint saved so far (null when none), named in the stop message.</param>
public sealed class NonFiniteWatchdog(string policy, int maxConsecutiveSkips, Func<string?> lastCheckpoint)
{
    /// <summary>The known <c>train.on_nonfinite</c> values.</summary>
    public static IReadOnlyList<string> Policies { get; } = ["stop", "skip_step"];

    /// <summary>Steps skipped so far in the run (a resumed run counts on from its checkpoint's, <see cref="Restore"/>).</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>How many of those were the last steps in a row (what <c>train.max_skipped_steps</c> bounds).</summary>
    public int ConsecutiveSkippedSteps { get; private set; }

    /// <summary>
    /// Resumes the counts a checkpoint saved (<see cref="TrainerState.SkippedSteps"/> and
    /// <see cref="TrainerState.ConsecutiveSkippedSteps"/>), so a resumed run reports the run's total and stops after
    /// <c>train.max_skipped_steps</c> steps in a row counted across the resume.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count, or more in a row than in all.</exception>
    public void Restore(long skippedSteps, int consecutiveSkippedSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skippedSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(consecutiveSkippedSteps);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)consecutiveSkippedSteps, skippedSteps, nameof(consecutiveSkippedSteps));
        SkippedSteps = skippedSteps;
        ConsecutiveSkippedSteps = consecutiveSkippedSteps;
    }

    /// <summary>
    /// Checks one micro-batch's loss. Returns false when it is finite; true when it is not and the step is to be
    /// skipped (its backward is then left out); throws under <c>stop</c>.
    /// </summary>
    /// <param name="value">The loss.</param>
    /// <param name="step">The 1-based step being computed.</param>
    /// <param name="micro">The micro-batch (0-based) of <paramref name="accumulation"/>, for the message.</param>
    /// <param name="accumulation">Micro-batches per step.</param>
    /// <param name="batch">The batch the loss came from (its epoch and index, for the message).</param>
    /// <exception cref="NonFiniteLossException">The policy is <c>stop</c>, or too many steps were skipped in a row.</exception>
    public bool LossIsNonFinite(double value, long step, int micro, int accumulation, Data.Batch batch)
    {
        // Called on every micro-batch: nothing is formatted unless the value is bad.
        if (double.IsFinite(value)) return false;
        ArgumentNullException.ThrowIfNull(batch);
        return Fire(step, value, $"the training loss is {Format(value)} at step {step} (micro-batch {micro + 1} of {accumulation}, epoch {batch.Epoch}, batch {batch.BatchIndex})");
    }

    /// <summary>
    /// Data-parallel runs: another rank's loss was not finite at <paramref name="step"/> (the ranks agree on it once per
    /// step), so this rank skips the step too, or stops, exactly as that rank does.
    /// </summary>
    /// <exception cref="NonFiniteLossException">The policy is <c>stop</c>, or too many steps were skipped in a row.</exception>
    public bool LossIsNonFiniteOnAnotherRank(long step) => Fire(step, double.NaN, $"the training loss of another rank is not finite at step {step}");

    /// <summary>
    /// Checks a step's global gradient norm. Returns false when it is finite; true when it is not and the step is to
    /// be skipped; throws under <c>stop</c>. The message names the first parameter (in the model's order) whose
    /// gradient holds a NaN or ∞.
    /// </summary>
    /// <exception cref="NonFiniteLossException">The policy is <c>stop</c>, or too many steps were skipped in a row.</exception>
    public bool GradientIsNonFinite(double norm, long step, double loss, IReadOnlyList<(string Name, Tensor Value)> trainable)
    {
        if (double.IsFinite(norm)) return false;
        var culprit = FirstNonFiniteGradient(trainable);
        var which = culprit is { } c ? $"the gradient of {c.Name} holds {c.Kind}" : "a gradient is not finite";
        return Fire(step, norm, $"{which} at step {step} (global gradient norm {Format(norm)}, loss {Format(loss)})");
    }

    /// <summary>Records a step that ran the optimizer (resets the run of skipped steps).</summary>
    public void StepTaken() => ConsecutiveSkippedSteps = 0;

    /// <summary>The first parameter whose gradient holds NaN (or else ±∞), and which of the two.</summary>
    public static (string Name, string Kind)? FirstNonFiniteGradient(IReadOnlyList<(string Name, Tensor Value)> trainable)
    {
        ArgumentNullException.ThrowIfNull(trainable);
        using var scope = new DisposeScope();
        foreach (var (name, value) in trainable)
        {
            var grad = value.Grad;
            if (grad is null) continue;
            if (grad.IsFinite().All().ToBoolean()) continue;
            return (name, grad.IsNan().Any().ToBoolean() ? "NaN" : "±∞");
        }
        return null;
    }

    private bool Fire(long step, double value, string what)
    {
        if (policy == "skip_step" && ConsecutiveSkippedSteps < maxConsecutiveSkips)
        {
            ConsecutiveSkippedSteps++;
            SkippedSteps++;
            return true;
        }
        var checkpoint = lastCheckpoint() is { } path ? $"the last good checkpoint, {path}, is kept" : "no checkpoint was saved before it";
        var advice = policy == "skip_step"
            ? $"{ConsecutiveSkippedSteps} steps in a row were already skipped (train.max_skipped_steps {maxConsecutiveSkips}); lower train.learning_rate or check the data"
            : "lower train.learning_rate, check the data, or set train.on_nonfinite: skip_step";
        throw new NonFiniteLossException($"{what}; the weights were not updated and {checkpoint}; {advice}") { Step = step, Value = value };
    }

    // PyTorch's spelling (nan, inf, -inf) rather than .NET's "NaN"/"Infinity"; finite values round-trip.
    private static string Format(double value) => value switch
    {
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}
