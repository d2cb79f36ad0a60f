using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>
/// BERT (Devlin et al. 2019) as HF's <c>BertForSequenceClassification</c>: the body <c>bert</c> (with its pooler) and
/// logits = classifier(dropout(tanh(pooler.dense(h_L[:, 0])))), <c>classifier</c> a Linear d → num_labels. Keys:
/// <c>bert.embeddings.word_embeddings.weight</c>, <c>bert.encoder.layer.{i}.attention.self.query.weight</c>, …,
/// <c>bert.pooler.dense.weight</c>, <c>classifier.weight</c>. Token types are all 0 (one segment per row).
/// </summary>
/// <remarks>
/// A bare <c>BertModel</c> checkpoint (keys without <c>bert.</c>) loads with a new classifier; when it was saved
/// with <c>add_pooling_layer=False</c> the pooler is new too (HF's "newly initialized" warning), so both show in
/// <see cref="TransformerLoadReport.NewKeys"/>. Pre-training heads (<c>cls.*</c>) and other tasks' heads are dropped.
/// </remarks>
public sealed class BertModel : BertFamilyModel
{
    /// <summary>Builds a freshly initialised classifier.</summary>
    /// <exception cref="ArgumentException">A causal-LM task or no labels.</exception>
    public BertModel(BertConfig config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator)
        : base(config, task, labels, generator, "BERT", BertPositionScheme.FromZero, addPoolingLayer: true, baseModelPrefix: "bert")
    {
        RegisterModule("dropout", new Dropout(Config.ClassifierDropoutProb, generator));
        RegisterModule("classifier", new Linear(Config.HiddenSize, labels!.Count, generator: generator));
        InitWeights(generator);
    }

    /// <summary>The factory <see cref="TransformerRegistry"/> uses for <c>model_type</c> <c>bert</c>.</summary>
    public static TransformerModel FromConfig(HfConfigJson config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator) =>
        new BertModel(BertConfig.FromJson(config), task, labels, generator);

    /// <inheritdoc/>
    public override string ModelType => "bert";

    /// <inheritdoc/>
    public override string Architecture => "BertForSequenceClassification";

    /// <summary>Heads of HF's BERT classes: <c>classifier</c> (sequence/token classification), <c>cls</c> (pre-training, masked LM), <c>qa_outputs</c>.</summary>
    public override IReadOnlyList<string> HeadPrefixes => ["classifier", "cls", "qa_outputs"];

    /// <summary>The pooler, which a body saved with <c>add_pooling_layer=False</c> lacks.</summary>
    public override bool MayBeNewInCheckpoint(string key) => key is not null && key.StartsWith("bert.pooler.", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var hidden = Hidden(input);
        using var pooled = Body.Pooler!.Forward(hidden);
        using var dropped = CallChild("dropout", pooled);
        return CallChild("classifier", dropped);
    }
}
