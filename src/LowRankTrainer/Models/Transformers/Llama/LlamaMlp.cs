using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Llama;

/// <summary>
/// Llama's gated feed-forward part (HF <c>LlamaMLP</c>; SwiGLU, Shazeer 2020, "GLU Variants Improve Transformer"):
/// mlp(x) = W_down·(act(W_gate·x) ⊙ W_up·x), children <c>gate_proj</c>, <c>up_proj</c> (d → I) and <c>down_proj</c>
/// (I → d), act = <c>hidden_act</c> (SiLU: x·σ(x)); biases only with <c>mlp_bias</c>.
/// </summary>
public sealed class LlamaMlp : Module<Tensor, Tensor>
{
    private readonly Activation _act;

    /// <summary>Creates the three projections.</summary>
    public LlamaMlp(LlamaConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        _act = Activation.Parse(config.HiddenAct, "llama config");
        var (d, i, bias) = (config.HiddenSize, config.IntermediateSize, config.MlpBias);
        RegisterModule("gate_proj", new Linear(d, i, bias, generator));
        RegisterModule("up_proj", new Linear(d, i, bias, generator));
        RegisterModule("down_proj", new Linear(i, d, bias, generator));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var gate = CallChild("gate_proj", input);
        using var activated = _act.Apply(gate);
        using var up = CallChild("up_proj", input);
        using var product = activated.Mul(up);
        return CallChild("down_proj", product);
    }
}
