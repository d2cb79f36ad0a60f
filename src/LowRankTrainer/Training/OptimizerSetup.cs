using LowRankTrainer.Config;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Torch.Optim.Schedulers;

namespace LowRankTrainer.Training;

/// <summary>
/// Builds the optimizer and learning-rate schedule of <c>train.*</c>.
/// </summary>
/// <remarks>
/// <para>Weight decay follows HF Trainer's rule (<c>get_decay_parameter_names</c>): parameters whose
/// name contains <c>bias</c> and the weights of normalisation layers (LayerNorm, RMSNorm) are put in
/// a second group with weight decay 0; every other trainable parameter decays with
/// <c>train.weight_decay</c> (decoupled, p ← p·(1 − lr·wd), for AdamW — Loshchilov &amp; Hutter 2019;
/// L2 added to the gradient for SGD). Empty groups are left out.</para>
/// <para>Schedule: <c>lr_scheduler_type</c> linear / cosine / constant after a linear warm-up of
/// <c>warmup_steps</c>, or ⌈total·<c>warmup_ratio</c>⌉ steps (HF's formulas, see <see cref="WarmupSchedule"/>).</para>
/// </remarks>
public static class OptimizerSetup
{
    /// <summary>The parameter groups: (decayed, not decayed), each non-empty one once.</summary>
    public static IReadOnlyList<ParamGroup> Groups(Module model, IReadOnlyList<(string Name, Tensor Value)> trainable, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainable);
        var normParams = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (prefix, m) in model.NamedModules())
        {
            if (m is not (LayerNorm or RMSNorm)) continue;
            foreach (var (name, _) in m.NamedParameters()) normParams.Add(prefix.Length == 0 ? name : prefix + "." + name);
        }
        var decay = trainable.Where(p => !NoDecay(p.Name, normParams)).Select(p => p.Value).ToList();
        var noDecay = trainable.Where(p => NoDecay(p.Name, normParams)).Select(p => p.Value).ToList();
        var groups = new List<ParamGroup>();
        if (decay.Count > 0) groups.Add(new ParamGroup(decay, weightDecay: weightDecay));
        if (noDecay.Count > 0) groups.Add(new ParamGroup(noDecay, weightDecay: 0.0));
        if (groups.Count == 0) throw new InvalidOperationException("the model has no trainable parameters");
        return groups;
    }

    private static bool NoDecay(string name, HashSet<string> normParams) =>
        name.Contains("bias", StringComparison.Ordinal) || normParams.Contains(name);

    /// <summary>
    /// AdamW (<c>adamw_torch</c>, alias <c>adamw</c>; <c>adamw_torch_fused</c>: the single-pass kernel)
    /// or SGD (<c>sgd</c>) over <paramref name="groups"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown <c>train.optim</c>.</exception>
    public static Optimizer CreateOptimizer(TrainConfig train, IReadOnlyList<ParamGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(train);
        return train.Optim switch
        {
            "adamw_torch" or "adamw" => new AdamW(groups, train.LearningRate, train.AdamBeta1, train.AdamBeta2, train.AdamEpsilon, train.WeightDecay),
            "adamw_torch_fused" => new AdamW(groups, train.LearningRate, train.AdamBeta1, train.AdamBeta2, train.AdamEpsilon, train.WeightDecay, fused: true),
            "sgd" => new Sgd(groups, train.LearningRate, train.Momentum, 0, train.WeightDecay, train.Nesterov),
            _ => throw new ArgumentException($"unknown train.optim '{train.Optim}'; known: adamw_torch, adamw_torch_fused, sgd", nameof(train)),
        };
    }

    /// <summary>The warm-up schedule over <paramref name="totalSteps"/> optimizer steps.</summary>
    /// <exception cref="ArgumentException">An unknown <c>train.lr_scheduler_type</c>.</exception>
    public static WarmupSchedule CreateSchedule(TrainConfig train, IOptimizer optimizer, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(train);
        var kind = train.LrSchedulerType switch
        {
            "linear" => ScheduleKind.Linear,
            "cosine" => ScheduleKind.Cosine,
            "constant" or "constant_with_warmup" => ScheduleKind.Constant,
            _ => throw new ArgumentException($"unknown train.lr_scheduler_type '{train.LrSchedulerType}'; known: linear, cosine, constant", nameof(train)),
        };
        var warmup = train.WarmupSteps > 0 ? Warmup.OfSteps(train.WarmupSteps) : Warmup.OfRatio(train.WarmupRatio);
        return new WarmupSchedule(optimizer, kind, totalSteps, warmup);
    }
}
