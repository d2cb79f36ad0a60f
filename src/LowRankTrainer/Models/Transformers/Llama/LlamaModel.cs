using System.Text.Json.Nodes;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Llama;

/// <summary>
/// Llama (Touvron et al. 2023) with HF's names: <c>LlamaForCausalLM</c> (logits = lm_head(norm(h)), <c>lm_head</c> a
/// Linear without bias, or the token embedding itself when <c>tie_word_embeddings</c>) or
/// <c>LlamaForSequenceClassification</c> (logits = score(h at each row's last real token), <c>score</c> a Linear
/// without bias). Keys: <c>model.embed_tokens.weight</c>, <c>model.layers.{i}.self_attn.q_proj.weight</c>,
/// <c>model.layers.{i}.mlp.gate_proj.weight</c>, <c>model.norm.weight</c>, <c>lm_head.weight</c>, …
/// </summary>
/// <remarks>
/// Attention is causal; with a pad id, keys that are padding are masked too (<see cref="AttentionMasks.CausalWithPadding"/>).
/// Weights are stored as in HF (Linear [out, in]), so nothing is transposed on load or save.
/// </remarks>
public sealed class LlamaModel : DecoderModel
{
    /// <summary>Builds a freshly initialised model.</summary>
    public LlamaModel(LlamaConfig config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator, long? padTokenId = null)
        : base(task, padTokenId, labels)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(generator);
        config.Validate("llama config");
        Config = config;
        Body = RegisterModule("model", new LlamaBody(config, generator, padTokenId));
        RegisterHead(config.HiddenSize, config.VocabSize, config.TieWordEmbeddings ? Body.EmbedTokens.Weight : null, config.InitializerRange, generator);
    }

    /// <summary>The factory <see cref="TransformerRegistry"/> uses.</summary>
    public static TransformerModel FromConfig(HfConfigJson config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new LlamaModel(LlamaConfig.FromJson(config), task, labels, generator, config.GetIntOrNull("pad_token_id"));
    }

    /// <summary>The hyper-parameters.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The body (child <c>model</c>).</summary>
    public LlamaBody Body { get; }

    /// <inheritdoc/>
    public override string ModelType => "llama";

    /// <inheritdoc/>
    public override string BaseModelPrefix => "model";

    /// <inheritdoc/>
    protected override string CausalLmArchitecture => "LlamaForCausalLM";

    /// <inheritdoc/>
    protected override string ClassificationArchitecture => "LlamaForSequenceClassification";

    /// <inheritdoc/>
    public override long VocabularySize => Config.VocabSize;

    /// <inheritdoc/>
    public override IReadOnlyCollection<string> TiedKeys => Task == TransformerTask.CausalLm && Config.TieWordEmbeddings ? ["lm_head.weight"] : [];

    /// <summary>Checkpoints converted with older HF versions carry each layer's RoPE buffer <c>rotary_emb.inv_freq</c>, which HF skips too.</summary>
    public override bool IsIgnorableCheckpointKey(string key) => key.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <inheritdoc/>
    protected internal override void WriteConfig(JsonObject config) => Config.WriteTo(config);

    /// <inheritdoc/>
    protected override Tensor Hidden(Tensor ids, Tensor? mask) => Body.Forward(ids, mask);

    /// <inheritdoc/>
    protected override IReadOnlyList<Tensor> HiddenLayerStates(Tensor ids, Tensor? mask) => Body.ForwardLayers(ids, mask);

    /// <inheritdoc/>
    public override int LayerCount => checked((int)Config.NumHiddenLayers);

    /// <inheritdoc/>
    public override long HiddenSize => Config.HiddenSize;
}
