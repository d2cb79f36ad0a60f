using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// A model built by <see cref="ModelFactory"/>: a <c>Module&lt;Tensor, Tensor&gt;</c> mapping a batch of
/// inputs to one row of outputs (logits) per sample, which also names its output layer so that
/// frozen-base training can list it in <c>adapter.modules_to_save</c>.
/// </summary>
public interface IClassifierModel
{
    /// <summary>The dotted module name of the last layer (the "head"), e.g. <c>layers.4</c>.</summary>
    string HeadName { get; }
}

/// <summary>Helpers shared by the models.</summary>
internal static class ModelShapes
{
    /// <summary>
    /// Flattens every dim after the first ([N, C, H, W] → [N, C·H·W]); a [N, F] input is returned as a
    /// new handle of the same shape, so the caller can treat the result uniformly.
    /// </summary>
    public static Tensor FlattenSamples(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Rank == 1 ? input.Unsqueeze(0) : input.Flatten(1);
    }

    /// <summary>A Dropout layer when p &gt; 0, else null (so parameter names match a model built without one).</summary>
    public static Dropout? MaybeDropout(double p, Generator generator) => p > 0 ? new Dropout(p, generator) : null;
}
