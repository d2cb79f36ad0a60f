using System.Globalization;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;

namespace LowRankTrainer.Training;

/// <summary>
/// fp16's dynamic loss scaling in a run (<see cref="MixedPrecision"/>): the <see cref="GradScaler"/> and what the run
/// reports about it. A step whose gradients overflow at the scale S skips the optimizer and schedule and halves S (as
/// <c>torch.amp.GradScaler</c> and HF Trainer do); such a step gets a console line of its own (DeepSpeed's and apex's
/// "overflow, skipping step, reducing the loss scale" line), the logged train entries and <c>summary.json</c> carry
/// <c>loss_scale</c> and <c>overflow_skipped_steps</c>, and <c>trainer_state.json</c> saves both (with the growth
/// tracker), so a resumed run goes on with the same S and reports the totals an unbroken one does.
/// </summary>
/// <param name="scaler">The scaler (PyTorch's defaults from <see cref="MixedPrecision.CreateLossScaler"/>).</param>
public sealed class LossScaling(GradScaler scaler)
{
    /// <summary>The current loss scale S.</summary>
    public double Scale => scaler.Scale;

    /// <summary>Steps skipped so far because their gradients overflowed (a resumed run counts on from its checkpoint's).</summary>
    public long OverflowSkippedSteps { get; private set; }

    /// <summary>S·<paramref name="loss"/>, the tensor to backpropagate (<see cref="GradScaler.ScaleLoss"/>).</summary>
    public Tensor ScaleLoss(Tensor loss) => scaler.ScaleLoss(loss);

    /// <summary>Unscales the gradients in place; true when one of them overflowed (<see cref="GradScaler.Unscale"/>).</summary>
    public bool Unscale(IReadOnlyList<Tensor> parameters) => scaler.Unscale(parameters);

    /// <summary>
    /// Adapts S after step <paramref name="step"/> (1-based; not one the watchdog skipped). After an overflow it counts
    /// the skipped step and returns the console line naming the old and the new scale; null after a finite step.
    /// </summary>
    public string? Update(bool overflow, long step)
    {
        var before = scaler.Scale;
        scaler.Update(overflow);
        if (!overflow) return null;
        OverflowSkippedSteps++;
        return string.Create(CultureInfo.InvariantCulture,
            $"step {step}: gradients overflowed at loss scale {before}; optimizer step skipped, loss scale reduced to {scaler.Scale} ({OverflowSkippedSteps} skipped on overflow so far)");
    }

    /// <summary>The tail of the run's precision line.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"; dynamic loss scaling from {scaler.Scale}");

    /// <summary>A train entry with the current scale and count.</summary>
    public MetricsEntry Annotate(MetricsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry with { LossScale = scaler.Scale, OverflowSkippedSteps = OverflowSkippedSteps };
    }

    /// <summary>The summary with the final scale and count.</summary>
    public RunSummary Annotate(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary with { LossScale = scaler.Scale, OverflowSkippedSteps = OverflowSkippedSteps };
    }

    /// <summary>The checkpoint's state with the scale, growth tracker and count.</summary>
    public TrainerState Annotate(TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state with { LossScale = scaler.State.Scale, LossScaleGrowthTracker = scaler.State.GrowthTracker, OverflowSkippedSteps = OverflowSkippedSteps };
    }

    /// <summary>
    /// Resumes from a checkpoint's state. One without <c>loss_scale</c> (saved by an fp32 or bf16 run) leaves S at its
    /// start; one without <c>overflow_skipped_steps</c> (saved before it was counted) counts from 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A saved scale that is not positive and finite, or a negative count.</exception>
    public void Restore(TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.LossScale is { } scale) scaler.Restore(new GradScalerState(scale, state.LossScaleGrowthTracker ?? 0));
        var count = state.OverflowSkippedSteps ?? 0;
        ArgumentOutOfRangeException.ThrowIfNegative(count, nameof(state));
        OverflowSkippedSteps = count;
    }

    /// <summary>The final console line's part: "; loss scale S, N steps skipped on overflow".</summary>
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"; loss scale {scaler.Scale}, {OverflowSkippedSteps} step{(OverflowSkippedSteps == 1 ? "" : "s")} skipped on overflow");
}
