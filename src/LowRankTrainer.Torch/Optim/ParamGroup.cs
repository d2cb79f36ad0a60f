namespace LowRankTrainer.Torch.Optim;

/// <summary>
/// A set of parameters that share hyperparameters, as PyTorch's <c>param_groups</c> entries: give
/// only what differs from the optimizer's defaults (null), the optimizer fills in the rest when it is
/// constructed. Schedulers and users change <see cref="Lr"/> between steps.
/// </summary>
/// <remarks>
/// A group belongs to one optimizer. Reading a hyperparameter the owning optimizer does not use
/// (<see cref="Momentum"/> on AdamW) or before any optimizer filled it in throws.
/// </remarks>
public sealed class ParamGroup
{
    private double? _lr, _weightDecay, _beta1, _beta2, _eps, _momentum, _dampening;
    private bool? _nesterov;

    /// <summary>A group of <paramref name="parameters"/>; null hyperparameters take the optimizer's defaults.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null,
                      double? beta1 = null, double? beta2 = null, double? eps = null,
                      double? momentum = null, double? dampening = null, bool? nesterov = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
        foreach (var p in Parameters) ArgumentNullException.ThrowIfNull(p, nameof(parameters));
        (_lr, _weightDecay, _beta1, _beta2, _eps) = (lr, weightDecay, beta1, beta2, eps);
        (_momentum, _dampening, _nesterov) = (momentum, dampening, nesterov);
    }

    /// <summary>The parameters, in order; their flat position across groups names their state ("state.{i}.…").</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Learning rate (a scheduler rewrites it from <see cref="InitialLr"/> every step).</summary>
    public double Lr { get => Get(_lr, "lr"); set => _lr = value; }

    /// <summary>The learning rate a scheduler scales (PyTorch's <c>initial_lr</c>); null until a scheduler attaches.</summary>
    public double? InitialLr { get; set; }

    /// <summary>Weight decay: decoupled for AdamW (p ← p·(1 − lr·wd)), L2 added to the gradient for SGD.</summary>
    public double WeightDecay { get => Get(_weightDecay, "weight_decay"); set => _weightDecay = value; }

    /// <summary>AdamW: decay of the first-moment average (β1).</summary>
    public double Beta1 { get => Get(_beta1, "betas"); set => _beta1 = value; }

    /// <summary>AdamW: decay of the second-moment average (β2).</summary>
    public double Beta2 { get => Get(_beta2, "betas"); set => _beta2 = value; }

    /// <summary>AdamW: term added to the denominator for numerical stability.</summary>
    public double Eps { get => Get(_eps, "eps"); set => _eps = value; }

    /// <summary>SGD: momentum factor μ (0 = plain SGD, no state).</summary>
    public double Momentum { get => Get(_momentum, "momentum"); set => _momentum = value; }

    /// <summary>SGD: dampening τ of the gradient added to the momentum buffer.</summary>
    public double Dampening { get => Get(_dampening, "dampening"); set => _dampening = value; }

    /// <summary>SGD: Nesterov momentum.</summary>
    public bool Nesterov { get => _nesterov ?? throw Unset("nesterov"); set => _nesterov = value; }

    internal void DefaultAdamW(double lr, double weightDecay, double beta1, double beta2, double eps)
    {
        _lr ??= lr;
        _weightDecay ??= weightDecay;
        _beta1 ??= beta1;
        _beta2 ??= beta2;
        _eps ??= eps;
    }

    internal void DefaultSgd(double lr, double weightDecay, double momentum, double dampening, bool nesterov)
    {
        _lr ??= lr;
        _weightDecay ??= weightDecay;
        _momentum ??= momentum;
        _dampening ??= dampening;
        _nesterov ??= nesterov;
    }

    /// <summary>The hyperparameters as plain data, with <paramref name="firstIndex"/> the flat index of the first parameter.</summary>
    internal ParamGroupState ToState(int firstIndex) => new()
    {
        Params = Enumerable.Range(firstIndex, Parameters.Count).ToArray(),
        Lr = Lr, InitialLr = InitialLr, WeightDecay = WeightDecay,
        Beta1 = _beta1, Beta2 = _beta2, Eps = _eps,
        Momentum = _momentum, Dampening = _dampening, Nesterov = _nesterov,
    };

    /// <summary>Takes the hyperparameters of a saved group (the parameters stay this group's own).</summary>
    internal void Load(ParamGroupState s)
    {
        (_lr, InitialLr, _weightDecay) = (s.Lr, s.InitialLr, s.WeightDecay);
        _beta1 = s.Beta1 ?? _beta1;
        _beta2 = s.Beta2 ?? _beta2;
        _eps = s.Eps ?? _eps;
        _momentum = s.Momentum ?? _momentum;
        _dampening = s.Dampening ?? _dampening;
        _nesterov = s.Nesterov ?? _nesterov;
    }

    private static double Get(double? value, string name) => value ?? throw Unset(name);

    private static InvalidOperationException Unset(string name) =>
        new($"the parameter group has no '{name}': it is not used by its optimizer, or no optimizer owns the group yet");
}

/// <summary>
/// A parameter group's hyperparameters as plain, serialisable data (PyTorch's <c>state_dict()["param_groups"]</c>
/// entries): <see cref="Params"/> are flat parameter indices; optimizer-specific values are null where unused.
/// </summary>
public sealed record ParamGroupState
{
    /// <summary>Flat indices of the group's parameters across all groups.</summary>
    public int[] Params { get; init; } = [];

    /// <summary>Learning rate at the time of saving.</summary>
    public double Lr { get; init; }

    /// <summary>The scheduler's base learning rate, if a scheduler was attached.</summary>
    public double? InitialLr { get; init; }

    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>AdamW β1.</summary>
    public double? Beta1 { get; init; }

    /// <summary>AdamW β2.</summary>
    public double? Beta2 { get; init; }

    /// <summary>AdamW ε.</summary>
    public double? Eps { get; init; }

    /// <summary>SGD momentum.</summary>
    public double? Momentum { get; init; }

    /// <summary>SGD dampening.</summary>
    public double? Dampening { get; init; }

    /// <summary>SGD Nesterov switch.</summary>
    public bool? Nesterov { get; init; }
}
