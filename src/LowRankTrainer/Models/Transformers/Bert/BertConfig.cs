using System.Text.Json.Nodes;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>
/// The hyper-parameters of a BERT-style encoder under HF's <c>BertConfig</c>/<c>RobertaConfig</c> names (Devlin et al.
/// 2019, "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"; Liu et al. 2019,
/// "RoBERTa: A Robustly Optimized BERT Pretraining Approach"). Both families read the same keys; the defaults are
/// bert-base-uncased's, and <see cref="ForRoberta"/> gives roberta-base's where they differ (pad id 1,
/// 514 positions, one token type, eps 1e-5).
/// </summary>
public sealed record BertConfig
{
    /// <summary><c>vocab_size</c>.</summary>
    public long VocabSize { get; init; } = 30522;

    /// <summary><c>hidden_size</c>: the model width d.</summary>
    public long HiddenSize { get; init; } = 768;

    /// <summary><c>num_hidden_layers</c>.</summary>
    public long NumHiddenLayers { get; init; } = 12;

    /// <summary><c>num_attention_heads</c> H; d must be a multiple of it (head width d/H).</summary>
    public long NumAttentionHeads { get; init; } = 12;

    /// <summary><c>intermediate_size</c>: the feed-forward width.</summary>
    public long IntermediateSize { get; init; } = 3072;

    /// <summary><c>hidden_act</c> (BERT's is <c>gelu</c>, the exact x·Φ(x)).</summary>
    public string HiddenAct { get; init; } = "gelu";

    /// <summary><c>hidden_dropout_prob</c>: dropout on embeddings and on each sub-layer's output.</summary>
    public double HiddenDropoutProb { get; init; } = 0.1;

    /// <summary><c>attention_probs_dropout_prob</c>: dropout on the attention probabilities.</summary>
    public double AttentionProbsDropoutProb { get; init; } = 0.1;

    /// <summary><c>max_position_embeddings</c>: rows of the position table.</summary>
    public long MaxPositionEmbeddings { get; init; } = 512;

    /// <summary><c>type_vocab_size</c>: rows of the token-type (segment) table.</summary>
    public long TypeVocabSize { get; init; } = 2;

    /// <summary><c>layer_norm_eps</c>.</summary>
    public double LayerNormEps { get; init; } = 1e-12;

    /// <summary><c>initializer_range</c>: the std of the normal initialisation.</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary><c>pad_token_id</c>: the padding id, also the embeddings' <c>padding_idx</c>.</summary>
    public long PadTokenId { get; init; }

    /// <summary><c>position_embedding_type</c>; only <c>absolute</c> is supported.</summary>
    public string PositionEmbeddingType { get; init; } = "absolute";

    /// <summary><c>classifier_dropout</c>: the head's dropout; null means <see cref="HiddenDropoutProb"/>.</summary>
    public double? ClassifierDropout { get; init; }

    /// <summary>The head's dropout probability: <see cref="ClassifierDropout"/> or <see cref="HiddenDropoutProb"/>.</summary>
    public double ClassifierDropoutProb => ClassifierDropout ?? HiddenDropoutProb;

    /// <summary>roberta-base's defaults.</summary>
    public static BertConfig ForRoberta() => new() { VocabSize = 50265, PadTokenId = 1, MaxPositionEmbeddings = 514, TypeVocabSize = 1, LayerNormEps = 1e-5 };

    /// <summary>Reads the keys from <paramref name="c"/>; absent keys take <paramref name="defaults"/> (BERT's when null).</summary>
    /// <exception cref="InvalidDataException">A bad value or an unsupported setting; the message names the file and key.</exception>
    public static BertConfig FromJson(HfConfigJson c, BertConfig? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        var d = defaults ?? new BertConfig();
        if (c.GetBool("is_decoder", false) || c.GetBool("add_cross_attention", false))
            throw new InvalidDataException($"{c.File}: 'is_decoder'/'add_cross_attention' are set; only the bidirectional encoder is supported");
        var config = new BertConfig
        {
            VocabSize = c.GetInt("vocab_size", d.VocabSize),
            HiddenSize = c.GetInt("hidden_size", d.HiddenSize),
            NumHiddenLayers = c.GetInt("num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = c.GetInt("num_attention_heads", d.NumAttentionHeads),
            IntermediateSize = c.GetInt("intermediate_size", d.IntermediateSize),
            HiddenAct = c.GetString("hidden_act", d.HiddenAct)!,
            HiddenDropoutProb = c.GetDouble("hidden_dropout_prob", d.HiddenDropoutProb),
            AttentionProbsDropoutProb = c.GetDouble("attention_probs_dropout_prob", d.AttentionProbsDropoutProb),
            MaxPositionEmbeddings = c.GetInt("max_position_embeddings", d.MaxPositionEmbeddings),
            TypeVocabSize = c.GetInt("type_vocab_size", d.TypeVocabSize),
            LayerNormEps = c.GetDouble("layer_norm_eps", d.LayerNormEps),
            InitializerRange = c.GetDouble("initializer_range", d.InitializerRange),
            PadTokenId = c.GetInt("pad_token_id", d.PadTokenId),
            PositionEmbeddingType = c.GetString("position_embedding_type", d.PositionEmbeddingType)!,
            ClassifierDropout = c.Has("classifier_dropout") ? c.GetDouble("classifier_dropout", 0) : null,
        };
        config.Validate(c.File);
        return config;
    }

    /// <summary>Checks sizes, probabilities, the activation and the position scheme; <paramref name="source"/> names the file in messages.</summary>
    public void Validate(string source)
    {
        foreach (var (key, value) in new[]
                 {
                     ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("num_hidden_layers", NumHiddenLayers),
                     ("num_attention_heads", NumAttentionHeads), ("intermediate_size", IntermediateSize),
                     ("max_position_embeddings", MaxPositionEmbeddings), ("type_vocab_size", TypeVocabSize),
                 })
        {
            if (value < 1) throw new InvalidDataException($"{source}: '{key}' must be positive, got {value}");
        }
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: 'hidden_size' ({HiddenSize}) must be a multiple of 'num_attention_heads' ({NumAttentionHeads})");
        foreach (var (key, p) in new[] { ("hidden_dropout_prob", HiddenDropoutProb), ("attention_probs_dropout_prob", AttentionProbsDropoutProb), ("classifier_dropout", ClassifierDropoutProb) })
        {
            if (p is < 0 or >= 1) throw new InvalidDataException($"{source}: '{key}' must be in [0, 1), got {p}");
        }
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
            throw new InvalidDataException($"{source}: 'pad_token_id' ({PadTokenId}) must be a token id below 'vocab_size' ({VocabSize})");
        if (PositionEmbeddingType != "absolute")
            throw new InvalidDataException($"{source}: 'position_embedding_type' is '{PositionEmbeddingType}'; only 'absolute' is supported (relative_key and relative_key_query are not implemented)");
        if (LayerNormEps <= 0) throw new InvalidDataException($"{source}: 'layer_norm_eps' must be positive, got {LayerNormEps}");
        Activation.Parse(HiddenAct, source);
    }

    /// <summary>Writes the keys into <paramref name="o"/> (<c>pad_token_id</c> is written by <see cref="TransformerModel.ToConfigJson"/>).</summary>
    public void WriteTo(JsonObject o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o["vocab_size"] = VocabSize;
        o["hidden_size"] = HiddenSize;
        o["num_hidden_layers"] = NumHiddenLayers;
        o["num_attention_heads"] = NumAttentionHeads;
        o["intermediate_size"] = IntermediateSize;
        o["hidden_act"] = HiddenAct;
        o["hidden_dropout_prob"] = HiddenDropoutProb;
        o["attention_probs_dropout_prob"] = AttentionProbsDropoutProb;
        o["max_position_embeddings"] = MaxPositionEmbeddings;
        o["type_vocab_size"] = TypeVocabSize;
        o["layer_norm_eps"] = LayerNormEps;
        o["initializer_range"] = InitializerRange;
        o["position_embedding_type"] = PositionEmbeddingType;
        o["classifier_dropout"] = ClassifierDropout;
    }
}
