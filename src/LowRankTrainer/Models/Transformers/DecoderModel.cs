using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// What the decoder-only families (GPT-2, Llama) share: a causal body (padding keys masked too when there is a pad id,
/// <see cref="AttentionMasks.CausalWithPadding"/>), then either <c>lm_head</c> on every position (…LMHeadModel /
/// …ForCausalLM) or <c>score</c> on each row's last real token (…ForSequenceClassification, HF's pooling for
/// decoders); both heads are Linear layers without bias (or the tied embedding).
/// </summary>
public abstract class DecoderModel : TransformerModel
{
    /// <summary>Sets the task and the shared settings.</summary>
    protected DecoderModel(TransformerTask task, long? padTokenId, IReadOnlyList<string>? labels) : base(task, padTokenId, labels)
    {
    }

    /// <inheritdoc/>
    public sealed override string HeadName => Task == TransformerTask.CausalLm ? "lm_head" : "score";

    /// <inheritdoc/>
    public sealed override IReadOnlyList<string> HeadPrefixes => ["lm_head", "score"];

    /// <inheritdoc/>
    public sealed override string Architecture => Task == TransformerTask.CausalLm ? CausalLmArchitecture : ClassificationArchitecture;

    /// <summary>HF's class name of the language model (<c>GPT2LMHeadModel</c>).</summary>
    protected abstract string CausalLmArchitecture { get; }

    /// <summary>HF's class name of the classifier (<c>GPT2ForSequenceClassification</c>).</summary>
    protected abstract string ClassificationArchitecture { get; }

    /// <summary>The body's final hidden states [N, T, d] of <paramref name="ids"/>; <paramref name="mask"/> [N, 1, T, T] or null (plain causal).</summary>
    protected abstract Tensor Hidden(Tensor ids, Tensor? mask);

    /// <summary>Every block's hidden states (<see cref="TransformerModel.HiddenLayers"/>) of <paramref name="ids"/>; <paramref name="mask"/> as in <see cref="Hidden"/>.</summary>
    protected abstract IReadOnlyList<Tensor> HiddenLayerStates(Tensor ids, Tensor? mask);

    /// <inheritdoc/>
    public sealed override IReadOnlyList<Tensor> HiddenLayers(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var keyMask = KeyMask(ids);
        using var mask = keyMask is null ? null : AttentionMasks.CausalWithPadding(keyMask);
        return HiddenLayerStates(ids, mask);
    }

    /// <summary>
    /// Registers the head for the task: the tied embedding (<paramref name="tiedEmbedding"/>, causal LM only), or a
    /// fresh Linear without bias, d → vocabulary or d → classes, drawn from N(0, <paramref name="std"/>) as HF does.
    /// </summary>
    protected void RegisterHead(long hiddenSize, long vocabularySize, Parameter? tiedEmbedding, double std, Generator generator)
    {
        if (Task == TransformerTask.CausalLm && tiedEmbedding is not null)
        {
            RegisterModule("lm_head", new TiedLmHead(tiedEmbedding));
            return;
        }
        var outputs = Task == TransformerTask.CausalLm ? vocabularySize : Labels!.Count;
        var head = RegisterModule(HeadName, new Linear(hiddenSize, outputs, bias: false, generator: generator));
        using var scope = DisposeScope.Suspend();
        using var noGrad = Autograd.NoGrad();
        Init.Normal_(head.Weight.Value, 0, std, generator);
    }

    /// <summary>
    /// The causal-LM head's weight W [V, d] when the head is a plain bias-free projection (a Linear without bias, or the
    /// tied embedding), which loss.fused_linear_cross_entropy can compute together with the loss; null for a classifier
    /// or a head an adapter wraps.
    /// </summary>
    public Tensor? FusableHeadWeight => Task != TransformerTask.CausalLm ? null : GetSubmodule("lm_head") switch
    {
        TiedLmHead tied => tied.Weight.Value,
        Linear { Bias: null } linear => linear.Weight.Value,
        _ => null,
    };

    /// <summary>The final hidden states [N, T, d] the head reads: <see cref="Forward"/> without the head.</summary>
    public Tensor ForwardHidden(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var keyMask = KeyMask(input);
        using var mask = keyMask is null ? null : AttentionMasks.CausalWithPadding(keyMask);
        return Hidden(input, mask);
    }

    /// <inheritdoc/>
    public sealed override Tensor Forward(Tensor input)
    {
        using var hidden = ForwardHidden(input);
        if (Task == TransformerTask.CausalLm) return CallChild("lm_head", hidden);
        using var last = LastTokenIndex(input);
        using var pooled = GatherRows(hidden, last);
        return CallChild("score", pooled);
    }
}
