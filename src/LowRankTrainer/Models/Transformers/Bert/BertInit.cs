using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>
/// HF's <c>BertPreTrainedModel._init_weights</c> (also RoBERTa's): every Linear weight and Embedding table
/// ~ N(0, initializer_range²), biases 0, each Embedding's <c>padding_idx</c> row 0, LayerNorm γ = 1, β = 0
/// (the truncation-free normal of Devlin et al.'s TF code, as HF implements it).
/// </summary>
public static class BertInit
{
    /// <summary>Re-initialises every Linear, Embedding and LayerNorm under <paramref name="root"/>, in module order.</summary>
    public static void Apply(Module root, double initializerRange, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var scope = DisposeScope.Suspend();
        using var noGrad = Autograd.NoGrad();
        foreach (var (_, m) in root.NamedModules())
        {
            switch (m)
            {
                case Linear linear:
                    Init.Normal_(linear.Weight.Value, 0, initializerRange, generator);
                    linear.Bias?.Value.Zero_();
                    break;
                case Embedding embedding:
                    Init.Normal_(embedding.Weight.Value, 0, initializerRange, generator);
                    if (embedding.PaddingIdx is { } pad)
                    {
                        using var row = embedding.Weight.Value.Select(0, pad);
                        row.Zero_();
                    }
                    break;
                case LayerNorm norm:
                    norm.Weight?.Value.Fill_(1.0);
                    norm.Bias?.Value.Zero_();
                    break;
            }
        }
    }
}
