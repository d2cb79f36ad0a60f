using LowRankTrainer.Torch;

namespace LowRankTrainer.Adapters;

/// <summary>
/// Data a method's initialisation needs beyond the weights, passed into <see cref="IAdapterMethod.Inject"/> through its
/// options (e.g. <see cref="LoraSb.LoraSbOptions.InitContext"/>): LoRA-SB's gradient estimate of the first full
/// fine-tuning step. The trainer builds it before injection (<see cref="Training.GradientEstimate"/>); a load from a
/// checkpoint passes none, since the adapter's tensors come from the checkpoint.
/// </summary>
public interface IAdapterInitContext
{
    /// <summary>η, the learning rate of the first optimizer step (lr / warm-up steps with a warm-up, else lr).</summary>
    double FirstStepLr { get; }

    /// <summary>G = Σ over the estimation batches of ∂(loss / batch size)/∂W for target <paramref name="target"/>'s weight, (d_out, d_in), float32 or float64.</summary>
    Tensor GradientSum(AdapterTarget target);
}
