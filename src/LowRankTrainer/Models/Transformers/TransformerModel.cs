using System.Text.Json.Nodes;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// A transformer with Hugging Face's module names, so that its state-dict keys are the keys of the HF checkpoint
/// (<c>transformer.h.0.attn.c_attn.weight</c>), built for one <see cref="TransformerTask"/>. Input: token ids
/// [N, T] (int64), padded on the right with <see cref="PadTokenId"/>; the attention mask is derived as
/// ids ≠ pad (HF's <c>GPT2ForSequenceClassification</c> convention for finding the last real token, applied
/// to attention too), so a batch needs no second input tensor. Output: logits [N, T, vocab] or [N, num_labels].
/// </summary>
/// <remarks>
/// <see cref="PretrainedTransformer"/> reads and writes the HF folder layout (<c>config.json</c> plus
/// safetensors); a subclass says how its tensors differ from HF's (<see cref="IsTransposedInHf"/>, tied keys,
/// checkpoint keys HF ignores) and writes its own <c>config.json</c> keys.
/// </remarks>
public abstract class TransformerModel : Module<Tensor, Tensor>, IClassifierModel
{
    /// <summary>Sets the task and the settings every family shares.</summary>
    /// <exception cref="ArgumentException">A classification task without labels.</exception>
    protected TransformerModel(TransformerTask task, long? padTokenId, IReadOnlyList<string>? labels)
    {
        if (task == TransformerTask.SequenceClassification && (labels is null || labels.Count < 1))
            throw new ArgumentException("a sequence-classification model needs its label names (num_labels ≥ 1)", nameof(labels));
        Task = task;
        PadTokenId = padTokenId;
        Labels = labels;
    }

    /// <summary>What the head computes.</summary>
    public TransformerTask Task { get; }

    /// <summary>The padding id (ids equal to it are masked out of attention and pooling), or null: no padding.</summary>
    public long? PadTokenId { get; }

    /// <summary>The class names (classification), index = label id; null for a language model.</summary>
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>HF's <c>model_type</c> (<c>gpt2</c>, <c>bert</c>, <c>roberta</c>, <c>llama</c>).</summary>
    public abstract string ModelType { get; }

    /// <summary>HF's <c>base_model_prefix</c>: the child holding the body (<c>transformer</c>, <c>bert</c>, <c>model</c>).</summary>
    public abstract string BaseModelPrefix { get; }

    /// <summary>The head module's name (<c>lm_head</c>, <c>score</c>, <c>classifier</c>): new when the task changes.</summary>
    public abstract string HeadName { get; }

    /// <summary>HF's class name for this task, written as <c>architectures[0]</c>.</summary>
    public abstract string Architecture { get; }

    /// <summary>The vocabulary size (rows of the token embedding).</summary>
    public abstract long VocabularySize { get; }

    /// <summary>The number of blocks L (HF's <c>num_hidden_layers</c> / <c>n_layer</c>).</summary>
    public abstract int LayerCount { get; }

    /// <summary>The width d of every hidden state (HF's <c>hidden_size</c> / <c>n_embd</c>).</summary>
    public abstract long HiddenSize { get; }

    /// <summary>
    /// The hidden states after each block, HF's <c>output_hidden_states=True</c> tuple without its first entry (the
    /// embedding output): L tensors [N, T, d] for ids [N, T], the last one the final hidden states (after the final
    /// norm where the family has one). The per-layer sentence embeddings pool them (sentence-transformers'
    /// <c>all_layer_embeddings</c>, which 2D Matryoshka samples).
    /// </summary>
    public abstract IReadOnlyList<Tensor> HiddenLayers(Tensor ids);

    /// <summary>
    /// Modules that a pooled sentence embedding never reaches — the head, and BERT's pooler — so an embedding loss
    /// freezes them and leaves them out of the optimizer.
    /// </summary>
    public virtual IReadOnlyList<string> EmbeddingUnusedModules => [HeadName];

    /// <summary>Whether HF stores <paramref name="name"/> transposed relative to this model (GPT-2's Conv1D weights).</summary>
    public virtual bool IsTransposedInHf(string name) => false;

    /// <summary>Keys that alias another tensor (a tied LM head); HF's files omit them.</summary>
    public virtual IReadOnlyCollection<string> TiedKeys => [];

    /// <summary>Checkpoint keys HF itself skips on load (stale buffers such as GPT-2's <c>attn.bias</c>).</summary>
    public virtual bool IsIgnorableCheckpointKey(string key) => false;

    /// <summary>
    /// Body tensors that a checkpoint of another task may lack and that then keep their fresh initialisation, reported
    /// as new (HF's "newly initialized" warning), such as BERT's pooler in a body saved with <c>add_pooling_layer=False</c>.
    /// </summary>
    public virtual bool MayBeNewInCheckpoint(string key) => false;

    /// <summary>Prefixes of every task's head in this family (dropped from a checkpoint of another task).</summary>
    public abstract IReadOnlyList<string> HeadPrefixes { get; }

    /// <summary>Adds the family's own <c>config.json</c> keys (sizes, eps, activation…) to <paramref name="config"/>.</summary>
    protected internal abstract void WriteConfig(JsonObject config);

    /// <summary>The whole <c>config.json</c>: architectures, model_type, the family's keys, pad/labels, dtype.</summary>
    public JsonObject ToConfigJson()
    {
        var config = new JsonObject { ["architectures"] = new JsonArray(Architecture), ["model_type"] = ModelType };
        WriteConfig(config);
        if (PadTokenId is { } pad) config["pad_token_id"] = pad;
        if (Labels is { } labels)
        {
            var id2label = new JsonObject();
            var label2id = new JsonObject();
            for (var i = 0; i < labels.Count; i++)
            {
                id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = labels[i];
                label2id[labels[i]] = i;
            }
            config["id2label"] = id2label;
            config["label2id"] = label2id;
        }
        config["torch_dtype"] = "float32";
        return config;
    }

    /// <summary>
    /// The key mask ids ≠ pad as bool [N, T], or null when the model has no pad id (every position is real).
    /// </summary>
    protected Tensor? KeyMask(Tensor ids) => PadTokenId is { } pad ? ids.Ne(pad) : null;

    /// <summary>
    /// For each row, the index of its last real token: max over t of t·[idsₜ ≠ pad] (HF's pooling for
    /// decoder classifiers), or T − 1 for every row when there is no pad id; int64 [N].
    /// </summary>
    protected Tensor LastTokenIndex(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var n = ids.Size(0);
        var t = ids.Size(1);
        if (PadTokenId is not { } pad) return Tensor.Full([n], t - 1, DType.Int64, ids.Device);
        using var positions = Tensor.Arange(0L, t, 1L, DType.Int64, ids.Device);
        using var real = ids.Ne(pad);
        using var weighted = positions.Mul(real);
        return weighted.ArgMax(1);
    }

    /// <summary>Rows of <paramref name="hidden"/> [N, T, d] at <paramref name="index"/> [N]: [N, d].</summary>
    protected static Tensor GatherRows(Tensor hidden, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(index);
        var n = hidden.Size(0);
        var d = hidden.Size(2);
        using var idx = index.View(n, 1, 1);
        using var expanded = idx.Expand(n, 1, d);
        using var picked = hidden.Gather(1, expanded);
        return picked.Squeeze(1);
    }
}
