namespace LowRankTrainer.Torch.Optim.Schedulers;

/// <summary>The shape of the learning rate after warm-up.</summary>
public enum ScheduleKind
{
    /// <summary>Stays at the base lr (HF <c>get_constant_schedule_with_warmup</c>).</summary>
    Constant,

    /// <summary>Decays linearly to 0 at the last step (HF <c>get_linear_schedule_with_warmup</c>).</summary>
    Linear,

    /// <summary>Follows a half cosine down to 0 at the last step (HF <c>get_cosine_schedule_with_warmup</c>).</summary>
    Cosine,
}

/// <summary>
/// Warm-up length, as HF TrainingArguments gives it: a number of steps, or a ratio of the total
/// steps used when no step count is given (rounded up: ⌈total · ratio⌉).
/// </summary>
public readonly record struct Warmup(long Steps = 0, double Ratio = 0)
{
    /// <summary>No warm-up.</summary>
    public static Warmup None => default;

    /// <summary>Warm-up over <paramref name="steps"/> steps.</summary>
    public static Warmup OfSteps(long steps) => new(Steps: steps);

    /// <summary>Warm-up over a fraction of the total steps.</summary>
    public static Warmup OfRatio(double ratio) => new(Ratio: ratio);

    /// <summary>The warm-up in steps for a run of <paramref name="totalSteps"/> (HF's get_warmup_steps).</summary>
    public long Resolve(long totalSteps)
    {
        if (Steps < 0) throw new InvalidOperationException($"negative warm-up steps ({Steps})");
        if (!(Ratio >= 0 && Ratio <= 1)) throw new InvalidOperationException($"the warm-up ratio must be in [0, 1], got {Ratio}");
        return Steps > 0 ? Steps : (long)Math.Ceiling(totalSteps * Ratio);
    }
}

/// <summary>
/// The Hugging Face Trainer schedules: a linear warm-up from 0 to the base lr over the warm-up steps,
/// then constant, linear decay or cosine decay to 0 at <see cref="TotalSteps"/> (formulas of
/// <c>transformers.optimization</c>, driven like PyTorch's LambdaLR).
/// </summary>
/// <remarks>
/// With w warm-up steps and T total steps, at step s:
/// <code>
/// s &lt; w:      s / max(1, w)
/// constant:   1
/// linear:     max(0, (T − s) / max(1, T − w))
/// cosine:     max(0, ½·(1 + cos(π · 2c · (s − w) / max(1, T − w))))    with c = 0.5 cycles
/// </code>
/// </remarks>
public sealed class WarmupSchedule : LambdaLr
{
    /// <summary>A schedule of <paramref name="kind"/> over <paramref name="totalSteps"/> optimizer steps.</summary>
    public WarmupSchedule(IOptimizer optimizer, ScheduleKind kind, long totalSteps, Warmup warmup = default, double numCycles = 0.5)
        : base(optimizer, MakeFactor(kind, totalSteps, warmup.Resolve(totalSteps), numCycles))
    {
        Kind = kind;
        TotalSteps = totalSteps;
        WarmupSteps = warmup.Resolve(totalSteps);
        NumCycles = numCycles;
    }

    /// <summary>HF <c>get_constant_schedule_with_warmup</c> (total steps matter only for a warm-up ratio).</summary>
    public static WarmupSchedule Constant(IOptimizer optimizer, Warmup warmup = default, long totalSteps = 0) =>
        new(optimizer, ScheduleKind.Constant, totalSteps, warmup);

    /// <summary>HF <c>get_linear_schedule_with_warmup</c>.</summary>
    public static WarmupSchedule Linear(IOptimizer optimizer, long totalSteps, Warmup warmup = default) =>
        new(optimizer, ScheduleKind.Linear, totalSteps, warmup);

    /// <summary>HF <c>get_cosine_schedule_with_warmup</c>.</summary>
    public static WarmupSchedule Cosine(IOptimizer optimizer, long totalSteps, Warmup warmup = default, double numCycles = 0.5) =>
        new(optimizer, ScheduleKind.Cosine, totalSteps, warmup, numCycles);

    /// <summary>The shape after warm-up.</summary>
    public ScheduleKind Kind { get; }

    /// <summary>Total optimizer steps of the run.</summary>
    public long TotalSteps { get; }

    /// <summary>Warm-up length in steps (resolved from a ratio if given so).</summary>
    public long WarmupSteps { get; }

    /// <summary>Cosine cycles over the decay (0.5: one half-cosine from 1 to 0).</summary>
    public double NumCycles { get; }

    private static Func<long, double> MakeFactor(ScheduleKind kind, long total, long warmup, double numCycles)
    {
        if (total < 0) throw new ArgumentOutOfRangeException(nameof(total), total, "negative total steps");
        if (kind != ScheduleKind.Constant && total == 0) throw new ArgumentException("a decaying schedule needs the total number of steps", nameof(total));
        return kind switch
        {
            ScheduleKind.Constant => s => s < warmup ? s / Math.Max(1.0, warmup) : 1.0,
            ScheduleKind.Linear => s => s < warmup ? (double)s / Math.Max(1, warmup)
                                                   : Math.Max(0.0, (double)(total - s) / Math.Max(1, total - warmup)),
            ScheduleKind.Cosine => s =>
            {
                if (s < warmup) return (double)s / Math.Max(1, warmup);
                var progress = (double)(s - warmup) / Math.Max(1, total - warmup);
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * numCycles * 2.0 * progress)));
            },
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown schedule"),
        };
    }
}
