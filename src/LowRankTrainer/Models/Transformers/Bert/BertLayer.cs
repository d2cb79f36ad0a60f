using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>
/// One post-norm encoder block (HF <c>BertLayer</c>, child <c>encoder.layer.{i}</c>; Devlin et al. 2019, Vaswani et al. 2017):
/// h₁ = LayerNorm(h + dropout(attention.output.dense(attention.self(h))));
/// h₂ = LayerNorm(h₁ + dropout(output.dense(act(intermediate.dense(h₁))))), act = <c>hidden_act</c>.
/// </summary>
public sealed class BertLayer : Module
{
    /// <summary>Creates <c>attention</c>, <c>intermediate</c> and <c>output</c>.</summary>
    public BertLayer(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Attention = RegisterModule("attention", new BertAttention(config, generator));
        Intermediate = RegisterModule("intermediate", new BertIntermediate(config, generator));
        Output = RegisterModule("output", new BertOutput(config.IntermediateSize, config, generator));
    }

    /// <summary>The attention sub-layer (child <c>attention</c>).</summary>
    public BertAttention Attention { get; }

    /// <summary>The feed-forward expansion (child <c>intermediate</c>).</summary>
    public BertIntermediate Intermediate { get; }

    /// <summary>The feed-forward projection and residual LayerNorm (child <c>output</c>).</summary>
    public BertOutput Output { get; }

    /// <summary>h₂ for <paramref name="h"/> [N, T, d]; <paramref name="mask"/> as in <see cref="BertAttention.Forward"/>.</summary>
    public Tensor Forward(Tensor h, Tensor? mask)
    {
        using var h1 = Attention.Forward(h, mask);
        using var f = Intermediate.Forward(h1);
        return Output.Forward(f, h1);
    }
}

/// <summary>The feed-forward expansion (HF <c>BertIntermediate</c>): act(dense(h)), dense: d → intermediate_size.</summary>
public sealed class BertIntermediate : Module<Tensor, Tensor>
{
    private readonly Activation _act;

    /// <summary>Creates <c>dense</c>.</summary>
    public BertIntermediate(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        _act = Activation.Parse(config.HiddenAct, "bert config");
        RegisterModule("dense", new Linear(config.HiddenSize, config.IntermediateSize, generator: generator));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var x = CallChild("dense", input);
        return _act.Apply(x);
    }
}

/// <summary>
/// A projection back to the model width with dropout, residual and LayerNorm: LayerNorm(dropout(dense(f)) + h), dense:
/// <c>inputSize</c> → d. HF has two classes with this same code: <c>BertSelfOutput</c> (child <c>attention.output</c>,
/// after attention, input d) and <c>BertOutput</c> (child <c>output</c>, after the feed-forward, input intermediate_size).
/// </summary>
public sealed class BertOutput : Module
{
    /// <summary>Creates <c>dense</c> (<paramref name="inputSize"/> → d), <c>LayerNorm</c> and <c>dropout</c>.</summary>
    public BertOutput(long inputSize, BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        RegisterModule("dense", new Linear(inputSize, config.HiddenSize, generator: generator));
        RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        RegisterModule("dropout", new Dropout(config.HiddenDropoutProb, generator));
    }

    /// <summary>LayerNorm(dropout(dense(<paramref name="f"/>)) + <paramref name="residual"/>).</summary>
    public Tensor Forward(Tensor f, Tensor residual)
    {
        ArgumentNullException.ThrowIfNull(residual);
        using var p = CallChild("dense", f);
        using var dropped = CallChild("dropout", p);
        using var sum = dropped.Add(residual);
        return CallChild("LayerNorm", sum);
    }
}
