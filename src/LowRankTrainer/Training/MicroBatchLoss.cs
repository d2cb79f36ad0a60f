using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Training;

/// <summary>
/// The training forward pass of one micro-batch and its loss, in one of three ways: an embedding loss
/// (<see cref="EmbeddingObjective"/>); a causal LM's final hidden states with <c>loss.fused_linear_cross_entropy</c>
/// (<see cref="LossFunction.ComputeFused"/>: the head and cross-entropy in one chunked function, no logits kept); or the
/// model's output and <see cref="LossFunction.Compute"/>. The model's output (a causal LM's logits, N·T·V) is disposed
/// before the loss is returned, not with the step's scope: autograd keeps what backward needs, so holding it too would
/// only add to the peak, which backward's start usually is.
/// </summary>
public sealed class MicroBatchLoss
{
    private readonly Module<Tensor, Tensor> _model;
    private readonly LossFunction _loss;
    private readonly EmbeddingObjective? _embedding;
    private readonly DecoderModel? _fusedHead;

    private MicroBatchLoss(Module<Tensor, Tensor> model, LossFunction loss, EmbeddingObjective? embedding, DecoderModel? fusedHead)
    {
        (_model, _loss, _embedding, _fusedHead) = (model, loss, embedding, fusedHead);
    }

    /// <summary>The pass for <paramref name="model"/> (adapter injected) under <paramref name="config"/>'s loss section.</summary>
    /// <exception cref="ArgumentException"><c>loss.fused_linear_cross_entropy</c> with a model whose head it cannot fuse.</exception>
    public static MicroBatchLoss For(LossConfig config, Module<Tensor, Tensor> model, LossFunction loss, EmbeddingObjective? embedding)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        DecoderModel? fused = null;
        if (config.FusedLinearCrossEntropy)
        {
            fused = model as DecoderModel is { FusableHeadWeight: not null } decoder ? decoder
                : throw new ArgumentException("loss.fused_linear_cross_entropy needs a causal LM whose lm_head is a plain weight (a Linear without bias or the tied " +
                                              "embedding); an adapter on lm_head (adapter.target_modules) or a sequence-classification model cannot be fused");
        }
        return new MicroBatchLoss(model, loss, embedding, fused);
    }

    /// <summary>Whether the head and loss are fused (<c>loss.fused_linear_cross_entropy</c>).</summary>
    public bool IsFused => _fusedHead is not null;

    /// <summary>The loss of <paramref name="batch"/> at optimizer step <paramref name="step"/> (1-based), micro-batch <paramref name="micro"/>.</summary>
    public Tensor Compute(Batch batch, Device device, long step, int micro)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_embedding is not null) return _embedding.Compute(batch.Inputs, step, micro);
        if (_fusedHead is not null)
        {
            using var hidden = _fusedHead.ForwardHidden(RunDevice.On(batch.Inputs, device));
            // Read per step: the slot's tensor is the one the device move or an adapter's merge left there.
            return _loss.ComputeFused(hidden, _fusedHead.FusableHeadWeight!, batch.Targets);
        }
        using var output = _model.Forward(RunDevice.On(batch.Inputs, device));
        return _loss.Compute(output, batch.Targets, step: step);  // Compute moves targets to the output's device
    }
}
