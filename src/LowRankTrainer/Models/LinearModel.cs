using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// <c>model.name: linear</c>: one Linear layer y = W x (+ b), W ∈ R^{d_out×d_in}, in a field named <c>linear</c>
/// (state-dict keys <c>linear.weight</c>, <c>linear.bias</c>; <c>adapter.target_modules: [linear]</c>). Inputs of any
/// shape [N, …] are flattened to [N, d_in]. Built for <c>data.dataset: synthetic_linear</c>, where d_in and d_out come
/// from the data; on other data it is a linear classifier or regressor.
/// </summary>
/// <remarks>
/// <c>model.init: zeros</c> starts from W₀ = 0 (and b₀ = 0), so the learned map is the adapter's update ΔW alone and
/// <c>effective_rank</c> measures the update's rank. The fit itself does not depend on W₀: LoRA and RandLoRA both add
/// an update that starts at 0 (B = 0; Λ = 0), and with y = (W₀ + ΔW) x the loss against y = (W₀ + ΔW*) x is the same
/// function of ΔW for every W₀ — only the target ΔW* = T − W₀ moves, so the needed update is T itself at W₀ = 0.
/// </remarks>
public sealed class LinearModel : Module<Tensor, Tensor>, IClassifierModel
{
    /// <summary>The module name of the layer.</summary>
    public const string LayerName = "linear";

    private readonly Linear _linear;

    /// <summary>Creates the layer.</summary>
    /// <param name="inputFeatures">d_in (the flattened input size).</param>
    /// <param name="outputFeatures">d_out.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="zeros">Start from W₀ = 0, b₀ = 0 instead of PyTorch's nn.Linear initialisation.</param>
    /// <param name="generator">Draws the default initialisation (not owned; drawn from even with <paramref name="zeros"/>,
    /// so what the generator yields afterwards does not depend on the init).</param>
    public LinearModel(long inputFeatures, long outputFeatures, bool bias, bool zeros, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputFeatures, 1);
        ArgumentNullException.ThrowIfNull(generator);
        _linear = new Linear(inputFeatures, outputFeatures, bias, generator);
        if (zeros)
        {
            using var noGrad = Autograd.NoGrad();
            _linear.Weight.Value.Zero_();
            _linear.Bias?.Value.Zero_();
        }
        RegisterModule(LayerName, _linear);
    }

    /// <inheritdoc/>
    public string HeadName => LayerName;

    /// <summary>The base layer (an injected adapter wraps it; <see cref="Forward"/> runs whatever is registered).</summary>
    public Linear Layer => _linear;

    /// <inheritdoc/>
    /// <remarks>The child is looked up on every call, so an adapter that replaced <c>linear</c> is the one that runs.</remarks>
    public override Tensor Forward(Tensor input)
    {
        using var flat = ModelShapes.FlattenSamples(input);
        return CallChild(LayerName, flat);
    }
}
