using LowRankTrainer.Adapters;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim.Schedulers;

namespace LowRankTrainer.Training;

/// <summary>
/// LoRA-SB's gradient estimate (Ponkshe, Singhal et al. 2024, arXiv 2411.19557; the reference's
/// <c>estimate_and_process_grads_torch</c>): with the full model in train mode and nothing frozen, forward and backward
/// over the first <c>num_samples</c> training samples, in dataset order and in batches of
/// <c>per_device_train_batch_size</c>, each batch's loss divided by its size, so every weight's gradient sums to
/// G = Σ_batches ∂(loss_b / |b|)/∂W. Dataset order (not the run's shuffled order) draws nothing from the data RNG, and the
/// global torch RNG (dropout) is re-seeded with <c>train.seed</c> afterwards, so the training run itself is unaffected.
/// </summary>
public sealed class GradientEstimate : IAdapterInitContext, IDisposable
{
    private readonly Dictionary<string, Tensor> _gradients;

    private GradientEstimate(Dictionary<string, Tensor> gradients, double firstStepLr)
    {
        _gradients = gradients;
        FirstStepLr = firstStepLr;
    }

    /// <inheritdoc/>
    public double FirstStepLr { get; }

    /// <summary>The summed gradient of each parameter, by name (<c>layers.0.weight</c>).</summary>
    public IReadOnlyDictionary<string, Tensor> Gradients => _gradients;

    /// <inheritdoc/>
    public Tensor GradientSum(AdapterTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return _gradients.TryGetValue(target.Name + ".weight", out var g) ? g
            : throw new ArgumentException($"no gradient estimate for '{target.Name}.weight'", nameof(target));
    }

    /// <summary>Runs the estimate on <paramref name="model"/> (left in train mode with its gradients cleared).</summary>
    /// <param name="model">The full, unfrozen model.</param>
    /// <param name="loss">The training loss (mean over the batch).</param>
    /// <param name="data">The training set; its first <paramref name="numSamples"/> samples are used (all, when fewer).</param>
    /// <param name="numSamples">N ≥ 1.</param>
    /// <param name="batchSize">The batch size.</param>
    /// <param name="firstStepLr">η, the first optimizer step's learning rate.</param>
    public static GradientEstimate Compute(Module<Tensor, Tensor> model, LossFunction loss, TensorDataset data, int numSamples, int batchSize, double firstStepLr)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(numSamples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var parameters = model.NamedParameters().ToList();
        // The trainer estimates on the CPU (before the model moves, so the injected adapter is a CPU run's); a caller
        // with a model on a GPU gets its batches moved there.
        var device = RunDevice.Of(model);
        Autograd.ZeroGrad(parameters.Select(p => p.Parameter.Value).ToList());
        model.Train();
        var n = Math.Min(numSamples, data.Count);
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = new DisposeScope();
            var size = Math.Min(batchSize, n - start);
            var x = RunDevice.On(data.Inputs.Narrow(0, start, size), device);
            var y = RunDevice.On(data.Targets.Narrow(0, start, size), device);
            // The output (a causal LM's logits) goes before backward, as in the trainer: autograd keeps what it needs.
            Tensor value;
            using (var output = model.Forward(x)) value = loss.Compute(output, y);
            (value / (double)size).Backward();
        }
        var gradients = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in parameters)
        {
            if (p.Value.Grad is { } g) gradients[name] = g.Detach().Clone();
        }
        Autograd.ZeroGrad(parameters.Select(p => p.Parameter.Value).ToList());
        return new GradientEstimate(gradients, firstStepLr);
    }

    /// <summary>η = lr / warm-up steps with a warm-up (the reference's lr / (warmup_ratio · total steps), the rate of the first step), else lr.</summary>
    public static double FirstStepLearningRate(double learningRate, long warmupSteps) => warmupSteps > 0 ? learningRate / warmupSteps : learningRate;

    /// <summary>
    /// LoRA-SB's init data (Ponkshe, Singhal et al. 2024), on a fresh run only (resume loads the adapter from the
    /// checkpoint): the summed gradients of the first <paramref name="numSamples"/> training samples in dataset order
    /// (<see cref="Compute"/>), and η = the first step's learning rate, lr / warm-up steps (lr without a warm-up).
    /// The global torch RNG is re-seeded with <c>train.seed</c> afterwards, so dropout in the run draws what it would without the estimate.
    /// </summary>
    public static GradientEstimate ForRun(Module<Tensor, Tensor> model, LossFunction loss, TensorDataset train, int numSamples, TrainConfig t, long totalSteps)
    {
        var warmup = (t.WarmupSteps > 0 ? Warmup.OfSteps(t.WarmupSteps) : Warmup.OfRatio(t.WarmupRatio)).Resolve(totalSteps);
        var estimate = GradientEstimate.Compute(model, loss, train, numSamples, t.PerDeviceTrainBatchSize, GradientEstimate.FirstStepLearningRate(t.LearningRate, warmup));
        TorchRuntime.ManualSeed(unchecked((ulong)t.Seed));
        return estimate;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var g in _gradients.Values) g.Dispose();
        _gradients.Clear();
    }
}
