namespace LowRankTrainer.Torch.Optim.Schedulers;

/// <summary>
/// Sets every group's learning rate to its base learning rate times a factor of the step count, as
/// PyTorch's <c>torch.optim.lr_scheduler.LambdaLR</c>: lr = initial_lr · factor(step).
/// </summary>
/// <remarks>
/// Construction records each group's <see cref="ParamGroup.InitialLr"/> (its current lr unless a
/// scheduler set it before) and applies factor(0); call <see cref="Step"/> after each optimizer step,
/// which advances the count and applies the new factor. The count is the only state
/// (<see cref="SaveState"/>), so a resumed run continues the schedule exactly.
/// </remarks>
public class LambdaLr
{
    private readonly IOptimizer _optimizer;
    private readonly Func<long, double> _factor;
    private double[] _baseLrs;

    /// <summary>A scheduler applying <paramref name="factor"/>(step) to each group's base lr.</summary>
    public LambdaLr(IOptimizer optimizer, Func<long, double> factor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(factor);
        _optimizer = optimizer;
        _factor = factor;
        foreach (var g in optimizer.ParamGroups) g.InitialLr ??= g.Lr;
        _baseLrs = optimizer.ParamGroups.Select(g => g.InitialLr!.Value).ToArray();
        LastLrs = new double[_baseLrs.Length];
        Apply();
    }

    /// <summary>Optimizer steps taken so far (PyTorch's <c>last_epoch</c>).</summary>
    public long CurrentStep { get; private set; }

    /// <summary>Each group's base learning rate.</summary>
    public IReadOnlyList<double> BaseLrs => _baseLrs;

    /// <summary>The learning rates last applied, one per group.</summary>
    public IReadOnlyList<double> LastLrs { get; private set; }

    /// <summary>The multiplier at <paramref name="step"/>.</summary>
    public double Factor(long step) => _factor(step);

    /// <summary>Advances the schedule by one optimizer step and sets the groups' learning rates.</summary>
    public void Step()
    {
        CurrentStep++;
        Apply();
    }

    /// <summary>The scheduler's state: the step count and base learning rates.</summary>
    public SchedulerState SaveState() => new() { Step = CurrentStep, BaseLrs = (double[])_baseLrs.Clone() };

    /// <summary>Restores a saved state and sets the learning rates it implies.</summary>
    public void LoadState(SchedulerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.BaseLrs.Length != _baseLrs.Length)
            throw new ArgumentException($"the scheduler state has {state.BaseLrs.Length} base learning rates, the optimizer {_baseLrs.Length} groups", nameof(state));
        if (state.Step < 0) throw new ArgumentOutOfRangeException(nameof(state), state.Step, "negative step count");
        CurrentStep = state.Step;
        _baseLrs = (double[])state.BaseLrs.Clone();
        for (var g = 0; g < _baseLrs.Length; g++) _optimizer.ParamGroups[g].InitialLr = _baseLrs[g];
        Apply();
    }

    private void Apply()
    {
        var factor = _factor(CurrentStep);
        var lrs = new double[_baseLrs.Length];
        for (var g = 0; g < lrs.Length; g++)
        {
            lrs[g] = _baseLrs[g] * factor;
            _optimizer.ParamGroups[g].Lr = lrs[g];
        }
        LastLrs = lrs;
    }
}

/// <summary>A learning-rate scheduler's saved state (plain, serialisable data).</summary>
public sealed record SchedulerState
{
    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; init; }

    /// <summary>Each group's base learning rate.</summary>
    public double[] BaseLrs { get; init; } = [];
}
