using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Training;

/// <summary>
/// The training loss of <c>loss.*</c> and the evaluation pass that reports it.
/// </summary>
/// <remarks>
/// <para><c>cross_entropy</c>: ℓ = −[(1−ε)·log softmax(z)_y + (ε/C)·Σ_c log softmax(z)_c] averaged over
/// samples whose target is not <c>ignore_index</c> (label smoothing ε, Szegedy et al. 2016).</para>
/// <para><c>mse</c>: mean((ŷ − y)²); an output of shape [N, 1] is compared with targets [N].</para>
/// </remarks>
public sealed class LossFunction
{
    private readonly LossConfig _config;

    /// <summary>The loss named by <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">An unknown <c>loss.name</c>.</exception>
    public LossFunction(LossConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Name is not ("cross_entropy" or "mse"))
            throw new ArgumentException($"unknown loss.name '{config.Name}'; known: cross_entropy, mse", nameof(config));
        _config = config;
    }

    /// <summary>Whether the task is classification (accuracy is reported).</summary>
    public bool IsClassification => _config.Name == "cross_entropy";

    /// <summary>The loss of <paramref name="output"/> against <paramref name="target"/> with the given reduction.</summary>
    public Tensor Compute(Tensor output, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        if (IsClassification)
        {
            return Functional.CrossEntropy(output, target, ignoreIndex: _config.IgnoreIndex, labelSmoothing: _config.LabelSmoothing, reduction: reduction);
        }
        var prediction = output.NumEl == target.NumEl ? output.Reshape(target.Shape) : output;
        return Functional.Mse(prediction, target.To(prediction.DType), reduction);
    }

    /// <summary>
    /// Evaluates <paramref name="model"/> on <paramref name="data"/> in order, in batches, under
    /// no-grad and in evaluation mode (dropout off; training mode is restored afterwards). Returns the
    /// mean loss over counted targets and, for classification, the accuracy (ignored targets excluded).
    /// </summary>
    public (double Loss, double? Accuracy) Evaluate(Module<Tensor, Tensor> model, TensorDataset data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            double lossSum = 0, counted = 0, correct = 0;
            for (long start = 0; start < data.Count; start += batchSize)
            {
                using var scope = new DisposeScope();
                var length = Math.Min(batchSize, data.Count - start);
                var x = data.Inputs.Narrow(0, start, length);
                var y = data.Targets.Narrow(0, start, length);
                var output = model.Forward(x);
                lossSum += Compute(output, y, Reduction.Sum).ToDouble();
                if (IsClassification)
                {
                    var keep = y.Ne(_config.IgnoreIndex);
                    counted += keep.Sum().ToDouble();
                    correct += (output.ArgMax(1).Eq(y) & keep).Sum().ToDouble();
                }
                else
                {
                    counted += y.NumEl;
                }
            }
            var loss = counted > 0 ? lossSum / counted : double.NaN;
            return (loss, IsClassification ? (counted > 0 ? correct / counted : 0) : null);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
