using System.Text.Json.Nodes;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>
/// What BERT (<see cref="BertModel"/>) and RoBERTa (<see cref="RobertaModel"/>) share: an encoder body
/// (<see cref="BertBody"/>) under HF's base-model prefix, bidirectional attention over the real tokens
/// (key mask ids ≠ pad, <see cref="AttentionMasks.Padding"/>), one <c>config.json</c> schema (<see cref="BertConfig"/>),
/// and only the sequence-classification task: these are encoders, so a causal-LM head is refused.
/// </summary>
public abstract class BertFamilyModel : TransformerModel
{
    /// <summary>Checks the task and builds the body; the subclass then adds its head and calls <see cref="InitWeights"/>.</summary>
    /// <exception cref="ArgumentException">A causal-LM task (the message says why), or no labels.</exception>
    protected BertFamilyModel(BertConfig config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator,
                              string family, BertPositionScheme positions, bool addPoolingLayer, string baseModelPrefix)
        : base(CheckTask(task, family), (config ?? throw new ArgumentNullException(nameof(config))).PadTokenId, labels)
    {
        ArgumentNullException.ThrowIfNull(generator);
        config.Validate($"{family} config");
        Config = config;
        BaseModelPrefix = baseModelPrefix;
        Body = RegisterModule(baseModelPrefix, new BertBody(config, positions, addPoolingLayer, generator));
    }

    /// <summary>The hyper-parameters.</summary>
    public BertConfig Config { get; }

    /// <summary>The encoder (child <see cref="BaseModelPrefix"/>).</summary>
    public BertBody Body { get; }

    /// <inheritdoc/>
    public override string BaseModelPrefix { get; }

    /// <inheritdoc/>
    public override string HeadName => "classifier";

    /// <inheritdoc/>
    public override long VocabularySize => Config.VocabSize;

    /// <summary>
    /// Buffers older HF files carry and HF skips: <c>embeddings.position_ids</c> and <c>embeddings.token_type_ids</c>
    /// (here computed per call), with or without the base-model prefix.
    /// </summary>
    public override bool IsIgnorableCheckpointKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var k = key.StartsWith(BaseModelPrefix + ".", StringComparison.Ordinal) ? key[(BaseModelPrefix.Length + 1)..] : key;
        return k is "embeddings.position_ids" or "embeddings.token_type_ids";
    }

    /// <inheritdoc/>
    protected internal override void WriteConfig(JsonObject config) => Config.WriteTo(config);

    /// <summary>The encoder's last hidden states h_L [N, T, d] of <paramref name="ids"/> [N, T] (HF's <c>last_hidden_state</c>).</summary>
    public Tensor Hidden(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var keyMask = KeyMask(ids);
        using var mask = keyMask is null ? null : AttentionMasks.Padding(keyMask);
        return Body.Forward(ids, mask);
    }

    /// <inheritdoc/>
    public override int LayerCount => checked((int)Config.NumHiddenLayers);

    /// <inheritdoc/>
    public override long HiddenSize => Config.HiddenSize;

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> HiddenLayers(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var keyMask = KeyMask(ids);
        using var mask = keyMask is null ? null : AttentionMasks.Padding(keyMask);
        return Body.ForwardLayers(ids, mask);
    }

    /// <summary>The head, and the [CLS] pooler where the body has one (BERT; RoBERTa is built without).</summary>
    public override IReadOnlyList<string> EmbeddingUnusedModules => Body.Pooler is null ? [HeadName] : [HeadName, BaseModelPrefix + ".pooler"];

    /// <summary>Applies HF's initialisation (<see cref="BertInit"/>) to the whole model, head included.</summary>
    protected void InitWeights(Generator generator) => BertInit.Apply(this, Config.InitializerRange, generator);

    private static TransformerTask CheckTask(TransformerTask task, string family) =>
        task == TransformerTask.SequenceClassification
            ? task
            : throw new ArgumentException($"{family} is a bidirectional encoder and has no causal-LM head; load it with task SequenceClassification", nameof(task));
}
