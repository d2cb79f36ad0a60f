using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Gpt2;

/// <summary>
/// One pre-norm GPT-2 block (HF <c>GPT2Block</c>): x ← x + attn(ln_1(x)); x ← x + mlp(ln_2(x)) with
/// mlp(h) = dropout(c_proj(act(c_fc(h)))), c_fc: d → n_inner, c_proj: n_inner → d.
/// </summary>
public sealed class Gpt2Block : Module
{
    private readonly Activation _act;

    /// <summary>Creates block <paramref name="layerIndex"/>.</summary>
    public Gpt2Block(Gpt2Config config, int layerIndex, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        _act = Activation.Parse(config.ActivationFunction, "gpt2 config");
        RegisterModule("ln_1", new LayerNorm(config.NEmbd, config.LayerNormEpsilon));
        Attention = RegisterModule("attn", new Gpt2Attention(config, layerIndex, generator));
        RegisterModule("ln_2", new LayerNorm(config.NEmbd, config.LayerNormEpsilon));
        Mlp = RegisterModule("mlp", new Gpt2Mlp(config, _act, generator));
    }

    /// <summary>The attention (child <c>attn</c>).</summary>
    public Gpt2Attention Attention { get; }

    /// <summary>The feed-forward part (child <c>mlp</c>).</summary>
    public Gpt2Mlp Mlp { get; }

    /// <summary>Applies the block to <paramref name="x"/> [N, T, d].</summary>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        using var h1 = CallChild("ln_1", x);
        using var a = Attention.Forward(h1, mask);
        using var x1 = x.Add(a);
        using var h2 = CallChild("ln_2", x1);
        using var m = Mlp.Forward(h2);
        return x1.Add(m);
    }
}

/// <summary>GPT-2's feed-forward part (HF <c>GPT2MLP</c>): dropout(c_proj(act(c_fc(h)))).</summary>
public sealed class Gpt2Mlp : Module<Tensor, Tensor>
{
    private readonly Activation _act;

    /// <summary>Creates the two layers.</summary>
    public Gpt2Mlp(Gpt2Config config, Activation act, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        _act = act;
        RegisterModule("c_fc", new Linear(config.NEmbd, config.InnerSize, generator: generator));
        RegisterModule("c_proj", new Linear(config.InnerSize, config.NEmbd, generator: generator));
        RegisterModule("dropout", new Dropout(config.ResidPdrop, generator));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var h = CallChild("c_fc", input);
        using var g = _act.Apply(h);
        using var p = CallChild("c_proj", g);
        return CallChild("dropout", p);
    }
}
