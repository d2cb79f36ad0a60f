using System.Text.Json.Nodes;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Gpt2;

/// <summary>
/// GPT-2 (Radford et al. 2019) with HF's names: <c>GPT2LMHeadModel</c> (logits = ln_f(h)·wteᵀ, the head tied to the
/// token embedding) or <c>GPT2ForSequenceClassification</c> (logits = score(h at each row's last real token),
/// <c>score</c> a Linear without bias). Keys: <c>transformer.wte.weight</c>, <c>transformer.h.{i}.attn.c_attn.weight</c>, …
/// </summary>
public sealed class Gpt2Model : DecoderModel
{
    private static readonly string[] ConvNames = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];

    /// <summary>Builds a freshly initialised model.</summary>
    public Gpt2Model(Gpt2Config config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator, long? padTokenId = null)
        : base(task, padTokenId, labels)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(generator);
        config.Validate("gpt2 config");
        Config = config;
        Body = RegisterModule("transformer", new Gpt2Body(config, generator));
        RegisterHead(config.NEmbd, config.VocabSize, Body.Wte.Weight, config.InitializerRange, generator);
    }

    /// <summary>The factory <see cref="TransformerRegistry"/> uses.</summary>
    public static TransformerModel FromConfig(HfConfigJson config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new Gpt2Model(Gpt2Config.FromJson(config), task, labels, generator, config.GetIntOrNull("pad_token_id"));
    }

    /// <summary>The hyper-parameters.</summary>
    public Gpt2Config Config { get; }

    /// <summary>The body (child <c>transformer</c>).</summary>
    public Gpt2Body Body { get; }

    /// <inheritdoc/>
    public override string ModelType => "gpt2";

    /// <inheritdoc/>
    public override string BaseModelPrefix => "transformer";

    /// <inheritdoc/>
    protected override string CausalLmArchitecture => "GPT2LMHeadModel";

    /// <inheritdoc/>
    protected override string ClassificationArchitecture => "GPT2ForSequenceClassification";

    /// <inheritdoc/>
    public override long VocabularySize => Config.VocabSize;

    /// <inheritdoc/>
    public override IReadOnlyCollection<string> TiedKeys => Task == TransformerTask.CausalLm ? ["lm_head.weight"] : [];

    /// <summary>HF's Conv1D weights (stored [in, out]): c_attn, c_proj and c_fc of every block.</summary>
    public override bool IsTransposedInHf(string name) =>
        name.StartsWith("transformer.h.", StringComparison.Ordinal) && ConvNames.Any(c => name.EndsWith(c, StringComparison.Ordinal));

    /// <summary>Older files carry the causal-mask buffers <c>attn.bias</c> and <c>attn.masked_bias</c>, which HF skips too.</summary>
    public override bool IsIgnorableCheckpointKey(string key) =>
        key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal);

    /// <inheritdoc/>
    protected internal override void WriteConfig(JsonObject config) => Config.WriteTo(config);

    /// <inheritdoc/>
    protected override Tensor Hidden(Tensor ids, Tensor? mask) => Body.Forward(ids, mask);

    /// <inheritdoc/>
    protected override IReadOnlyList<Tensor> HiddenLayerStates(Tensor ids, Tensor? mask) => Body.ForwardLayers(ids, mask);

    /// <inheritdoc/>
    public override int LayerCount => checked((int)Config.NLayer);

    /// <inheritdoc/>
    public override long HiddenSize => Config.NEmbd;
}
