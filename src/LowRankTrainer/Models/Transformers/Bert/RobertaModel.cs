using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>
/// RoBERTa (Liu et al. 2019) as HF's <c>RobertaForSequenceClassification</c>: BERT's body under <c>roberta</c>, built
/// without a pooler (HF's <c>add_pooling_layer=False</c>), positions counted after the padding id
/// (<see cref="BertPositionScheme.AfterPadding"/>), and the head <see cref="RobertaClassificationHead"/> on the first
/// token's hidden state. Keys: <c>roberta.embeddings.word_embeddings.weight</c>, …, <c>classifier.dense.weight</c>,
/// <c>classifier.out_proj.weight</c>.
/// </summary>
/// <remarks>
/// Checkpoint keys HF skips for this class are dropped: <c>pooler.*</c> (released RoBERTa files carry a pooler),
/// the <c>embeddings.position_ids</c> buffer, and other tasks' heads (<c>lm_head</c>) when the head is new.
/// </remarks>
public sealed class RobertaModel : BertFamilyModel
{
    /// <summary>Builds a freshly initialised classifier.</summary>
    /// <exception cref="ArgumentException">A causal-LM task or no labels.</exception>
    public RobertaModel(BertConfig config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator)
        : base(config, task, labels, generator, "RoBERTa", BertPositionScheme.AfterPadding, addPoolingLayer: false, baseModelPrefix: "roberta")
    {
        RegisterModule("classifier", new RobertaClassificationHead(Config, labels!.Count, generator));
        InitWeights(generator);
    }

    /// <summary>The factory <see cref="TransformerRegistry"/> uses for <c>model_type</c> <c>roberta</c> (absent keys take roberta-base's values).</summary>
    public static TransformerModel FromConfig(HfConfigJson config, TransformerTask task, IReadOnlyList<string>? labels, Generator generator) =>
        new RobertaModel(BertConfig.FromJson(config, BertConfig.ForRoberta()), task, labels, generator);

    /// <inheritdoc/>
    public override string ModelType => "roberta";

    /// <inheritdoc/>
    public override string Architecture => "RobertaForSequenceClassification";

    /// <summary>Heads of HF's RoBERTa classes: <c>classifier</c>, <c>lm_head</c> (masked/causal LM), <c>qa_outputs</c>.</summary>
    public override IReadOnlyList<string> HeadPrefixes => ["classifier", "lm_head", "qa_outputs"];

    /// <summary>The base class's buffers, and the pooler this class is built without.</summary>
    public override bool IsIgnorableCheckpointKey(string key) =>
        base.IsIgnorableCheckpointKey(key) || key.StartsWith("pooler.", StringComparison.Ordinal) || key.StartsWith("roberta.pooler.", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var hidden = Hidden(input);
        return CallChild("classifier", hidden);
    }
}

/// <summary>
/// HF's <c>RobertaClassificationHead</c> (child <c>classifier</c>): x = h[:, 0] (the &lt;s&gt; token);
/// logits = out_proj(dropout(tanh(dense(dropout(x))))), dense: d → d, out_proj: d → num_labels. Input [N, T, d].
/// </summary>
public sealed class RobertaClassificationHead : Module<Tensor, Tensor>
{
    /// <summary>Creates <c>dense</c>, <c>dropout</c> (p = classifier_dropout or hidden_dropout_prob) and <c>out_proj</c>.</summary>
    public RobertaClassificationHead(BertConfig config, long numLabels, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        RegisterModule("dense", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));
        RegisterModule("dropout", new Dropout(config.ClassifierDropoutProb, generator));
        RegisterModule("out_proj", new Linear(config.HiddenSize, numLabels, generator: generator));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var first = input.Select(1, 0);
        using var x0 = CallChild("dropout", first);
        using var dense = CallChild("dense", x0);
        using var act = dense.Tanh();
        using var x1 = CallChild("dropout", act);
        return CallChild("out_proj", x1);
    }
}
