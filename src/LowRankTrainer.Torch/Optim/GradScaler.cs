using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Optim;

/// <summary>The state a <see cref="GradScaler"/> carries across steps (saved in checkpoints, as HF Trainer saves <c>scaler.pt</c>).</summary>
/// <param name="Scale">The current loss scale S.</param>
/// <param name="GrowthTracker">Consecutive steps without a non-finite gradient since S last changed.</param>
public readonly record struct GradScalerState(double Scale, int GrowthTracker);

/// <summary>
/// Dynamic loss scaling for fp16 training, as <c>torch.amp.GradScaler</c> (Micikevicius et al., "Mixed Precision
/// Training", ICLR 2018). fp16 has 5 exponent bits, so gradients below ~6e-8 flush to zero; backpropagating S·loss
/// instead of loss lifts them into range, and dividing every gradient by S before the optimizer step restores their
/// value. The scale adapts:
/// <list type="bullet">
/// <item>a step whose gradients hold inf or NaN is skipped and S ← S·backoff (0.5);</item>
/// <item>after <c>growthInterval</c> (2000) consecutive finite steps S ← S·growth (2), kept only if finite.</item>
/// </list>
/// PyTorch's defaults (S₀ = 2¹⁶) and its update rule (<c>_amp_update_scale_</c>) are followed exactly; S stays a power
/// of two with the defaults, so scaling and unscaling are exact in floating point. The scale lives on the host here:
/// deciding whether to skip the step needs one read of the "found inf" flag per step either way (PyTorch's
/// <c>GradScaler.step</c> reads it with <c>.item()</c> too).
/// </summary>
public sealed unsafe class GradScaler
{
    private readonly double _growthFactor;
    private readonly double _backoffFactor;
    private readonly int _growthInterval;

    /// <summary>A scaler with PyTorch's parameters (defaults: S₀ 65536, growth 2, backoff 0.5, interval 2000).</summary>
    /// <exception cref="ArgumentOutOfRangeException">S₀ not positive and finite, growth ≤ 1, backoff outside (0, 1), interval &lt; 1.</exception>
    public GradScaler(double initScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5, int growthInterval = 2000)
    {
        if (!(initScale > 0) || double.IsInfinity(initScale)) throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "the initial loss scale must be positive and finite");
        if (!(growthFactor > 1)) throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "the growth factor must be > 1");
        if (!(backoffFactor > 0 && backoffFactor < 1)) throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "the backoff factor must be in (0, 1)");
        ArgumentOutOfRangeException.ThrowIfLessThan(growthInterval, 1);
        Scale = initScale;
        _growthFactor = growthFactor;
        _backoffFactor = backoffFactor;
        _growthInterval = growthInterval;
    }

    /// <summary>The current loss scale S.</summary>
    public double Scale { get; private set; }

    /// <summary>Consecutive finite steps since the scale last changed.</summary>
    public int GrowthTracker { get; private set; }

    /// <summary>S·<paramref name="loss"/>, the tensor to backpropagate (a new tensor; the caller disposes it).</summary>
    public Tensor ScaleLoss(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        return loss * Scale;
    }

    /// <summary>
    /// Divides every gradient of <paramref name="parameters"/> by S in place (parameters without one are skipped) and
    /// returns whether any of them was non-finite — then the caller skips the optimizer step. Call once per step,
    /// after the last backward and before gradient clipping (the clip threshold is meant for true gradients).
    /// </summary>
    public bool Unscale(IReadOnlyList<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var handles = new nint[parameters.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = parameters[i].Handle;
        int found;
        // PyTorch computes 1/S in double and rounds it to float; with S a power of two both are exact.
        fixed (nint* p = handles) ShimLibrary.Check(NativeMethods.ts_amp_unscale_grads(p, handles.Length, (float)(1.0 / Scale), &found));
        return found != 0;
    }

    /// <summary>Adapts S after a step: back off when <paramref name="foundInf"/>, grow after a run of finite steps.</summary>
    public void Update(bool foundInf)
    {
        if (foundInf)
        {
            Scale *= _backoffFactor;
            GrowthTracker = 0;
            return;
        }
        var successful = GrowthTracker + 1;
        if (successful == _growthInterval)
        {
            var grown = Scale * _growthFactor;
            // PyTorch keeps the old scale when growing would overflow (float32 there: S is a float tensor).
            if (float.IsFinite((float)grown)) Scale = grown;
            GrowthTracker = 0;
        }
        else
        {
            GrowthTracker = successful;
        }
    }

    /// <summary>The scale and growth tracker, for a checkpoint.</summary>
    public GradScalerState State => new(Scale, GrowthTracker);

    /// <summary>Restores a state saved with <see cref="State"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A scale that is not positive and finite, or a negative tracker.</exception>
    public void Restore(GradScalerState state)
    {
        if (!(state.Scale > 0) || double.IsInfinity(state.Scale)) throw new ArgumentOutOfRangeException(nameof(state), state.Scale, "a saved loss scale must be positive and finite");
        ArgumentOutOfRangeException.ThrowIfNegative(state.GrowthTracker, nameof(state));
        Scale = state.Scale;
        GrowthTracker = state.GrowthTracker;
    }
}
