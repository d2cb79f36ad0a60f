using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Gpt2;

/// <summary>
/// GPT-2's body (HF <c>GPT2Model</c>, the child <c>transformer</c>): h₀ = dropout(wte[ids] + wpe[0..T)),
/// the blocks, then ln_f. Positions count from 0 on every row (right padding keeps real tokens at their places).
/// </summary>
public sealed class Gpt2Body : Module
{
    private readonly long _maxPositions;

    /// <summary>Creates the body with HF's initialisation: N(0, initializer_range) for embeddings and weights,
    /// N(0, initializer_range/√(2·n_layer)) for each residual projection (c_proj), zero biases, unit LayerNorms.</summary>
    public Gpt2Body(Gpt2Config config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        _maxPositions = config.NPositions;
        Wte = RegisterModule("wte", new Embedding(config.VocabSize, config.NEmbd, generator: generator));
        RegisterModule("wpe", new Embedding(config.NPositions, config.NEmbd, generator: generator));
        RegisterModule("drop", new Dropout(config.EmbdPdrop, generator));
        Blocks = RegisterModule("h", new ModuleList<Gpt2Block>());
        for (var i = 0; i < config.NLayer; i++) Blocks.Add(new Gpt2Block(config, i, generator));
        RegisterModule("ln_f", new LayerNorm(config.NEmbd, config.LayerNormEpsilon));
        InitWeights(config, generator);
    }

    /// <summary>The token embedding (child <c>wte</c>).</summary>
    public Embedding Wte { get; }

    /// <summary>The blocks (child <c>h</c>).</summary>
    public ModuleList<Gpt2Block> Blocks { get; }

    /// <summary>The final hidden states [N, T, d] of <paramref name="ids"/> [N, T]; <paramref name="mask"/> as in <see cref="Gpt2Attention.Forward"/>.</summary>
    /// <exception cref="ArgumentException">The sequence is longer than <c>n_positions</c>.</exception>
    public Tensor Forward(Tensor ids, Tensor? mask)
    {
        var x = Embed(ids);
        foreach (var block in Blocks.Items)
        {
            var next = block.Forward(x, mask);
            x.Dispose();
            x = next;
        }
        using (x) return CallChild("ln_f", x);
    }

    /// <summary>
    /// HF's <c>hidden_states[1:]</c> (each [N, T, d]): the output of blocks 1 … L−1, then ln_f of block L's output
    /// (the final hidden states), for per-layer sentence embeddings; the arguments are those of <see cref="Forward"/>.
    /// </summary>
    public IReadOnlyList<Tensor> ForwardLayers(Tensor ids, Tensor? mask)
    {
        using var embedded = Embed(ids);
        var layers = new List<Tensor>(Blocks.Items.Count);
        var x = embedded;
        foreach (var block in Blocks.Items)
        {
            x = block.Forward(x, mask);
            layers.Add(x);
        }
        using var last = layers[^1];
        layers[^1] = CallChild("ln_f", last);
        return layers;
    }

    // Token plus position embeddings, then dropout: the input of block 1 (the caller owns the result).
    private Tensor Embed(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var t = ids.Size(1);
        if (t > _maxPositions) throw new ArgumentException($"the sequence has {t} tokens; this GPT-2 takes at most n_positions = {_maxPositions}", nameof(ids));
        using var positions = Tensor.Arange(0L, t, 1L, DType.Int64, ids.Device);
        using var tokens = CallChild("wte", ids);
        using var pos = CallChild("wpe", positions);
        using var sum = tokens.Add(pos);
        return CallChild("drop", sum);
    }

    private void InitWeights(Gpt2Config config, Generator generator)
    {
        using var scope = DisposeScope.Suspend();
        var std = config.InitializerRange;
        var residualStd = std / Math.Sqrt(2.0 * config.NLayer);
        foreach (var (name, p) in NamedParameters())
        {
            var v = p.Value;
            using var noGrad = Autograd.NoGrad();
            if (name.EndsWith(".bias", StringComparison.Ordinal)) v.Zero_();
            else if (name.Contains(".ln_", StringComparison.Ordinal) || name.StartsWith("ln_f", StringComparison.Ordinal)) v.Fill_(1.0);
            else Init.Normal_(v, 0, name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? residualStd : std, generator);
        }
    }
}
