using System.Text.Json.Nodes;

namespace LowRankTrainer.Models.Transformers.Llama;

/// <summary>
/// Llama's hyper-parameters under HF's <c>LlamaConfig</c> names (Touvron et al. 2023, "LLaMA: Open and Efficient
/// Foundation Language Models"; "Llama 2"). Defaults are HF's (the 7B model's sizes).
/// </summary>
/// <remarks>
/// Only unscaled RoPE is supported: a non-null <c>rope_scaling</c> (linear, dynamic, yarn, longrope, llama3) is
/// refused by <see cref="FromJson"/> rather than silently ignored, since it changes every attention score.
/// <c>pretraining_tp</c> only splits HF's matmuls into slices with the same result and is not read.
/// </remarks>
public sealed record LlamaConfig
{
    /// <summary><c>vocab_size</c>.</summary>
    public long VocabSize { get; init; } = 32000;

    /// <summary><c>hidden_size</c>: the model width d.</summary>
    public long HiddenSize { get; init; } = 4096;

    /// <summary><c>intermediate_size</c>: the SwiGLU width.</summary>
    public long IntermediateSize { get; init; } = 11008;

    /// <summary><c>num_hidden_layers</c>.</summary>
    public long NumHiddenLayers { get; init; } = 32;

    /// <summary><c>num_attention_heads</c>: query heads H.</summary>
    public long NumAttentionHeads { get; init; } = 32;

    /// <summary><c>num_key_value_heads</c>: key/value heads (GQA, Ainslie et al. 2023); null: H (plain multi-head).</summary>
    public long? NumKeyValueHeads { get; init; }

    /// <summary><c>head_dim</c>; null: d/H.</summary>
    public long? HeadDim { get; init; }

    /// <summary><c>hidden_act</c>: the gate activation of the MLP (SwiGLU: <c>silu</c>).</summary>
    public string HiddenAct { get; init; } = "silu";

    /// <summary><c>max_position_embeddings</c>: the trained context (RoPE itself has no table, so not enforced).</summary>
    public long MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary><c>initializer_range</c>: the std of the normal initialisation.</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary><c>rope_theta</c>: the RoPE base θ.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary><c>attention_bias</c>: biases on q/k/v/o projections.</summary>
    public bool AttentionBias { get; init; }

    /// <summary><c>attention_dropout</c>: dropout on the attention probabilities in training.</summary>
    public double AttentionDropout { get; init; }

    /// <summary><c>mlp_bias</c>: biases on gate/up/down projections.</summary>
    public bool MlpBias { get; init; }

    /// <summary><c>tie_word_embeddings</c>: the LM head reads <c>model.embed_tokens.weight</c>.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary><c>bos_token_id</c>, or null.</summary>
    public long? BosTokenId { get; init; } = 1;

    /// <summary><c>eos_token_id</c>: one id, or several (Llama 3.1 lists three); empty: none.</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = [2];

    /// <summary>Key/value heads: <see cref="NumKeyValueHeads"/> or H.</summary>
    public long KeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;

    /// <summary>The per-head width: <see cref="HeadDim"/> or d/H.</summary>
    public long HeadSize => HeadDim ?? HiddenSize / NumAttentionHeads;

    /// <summary>Reads the keys from <paramref name="c"/>, checking sizes.</summary>
    /// <exception cref="InvalidDataException">A bad or unsupported value; the message names the file and key.</exception>
    public static LlamaConfig FromJson(HfConfigJson c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Has("rope_scaling"))
            throw new InvalidDataException($"{c.File}: 'rope_scaling' must be null — only unscaled RoPE (rope_theta) is supported, not linear, dynamic, yarn, longrope or llama3 scaling");
        if (c.Has("rope_parameters"))
            throw new InvalidDataException($"{c.File}: 'rope_parameters' is not supported; write 'rope_theta' (and 'rope_scaling': null) instead");
        var config = new LlamaConfig
        {
            VocabSize = c.GetInt("vocab_size", 32000),
            HiddenSize = c.GetInt("hidden_size", 4096),
            IntermediateSize = c.GetInt("intermediate_size", 11008),
            NumHiddenLayers = c.GetInt("num_hidden_layers", 32),
            NumAttentionHeads = c.GetInt("num_attention_heads", 32),
            NumKeyValueHeads = c.GetIntOrNull("num_key_value_heads"),
            HeadDim = c.GetIntOrNull("head_dim"),
            HiddenAct = c.GetString("hidden_act", "silu")!,
            MaxPositionEmbeddings = c.GetInt("max_position_embeddings", 2048),
            InitializerRange = c.GetDouble("initializer_range", 0.02),
            RmsNormEps = c.GetDouble("rms_norm_eps", 1e-6),
            RopeTheta = c.GetDouble("rope_theta", 10000.0),
            AttentionBias = c.GetBool("attention_bias", false),
            AttentionDropout = c.GetDouble("attention_dropout", 0.0),
            MlpBias = c.GetBool("mlp_bias", false),
            TieWordEmbeddings = c.GetBool("tie_word_embeddings", false),
            BosTokenId = c.Has("bos_token_id") ? c.GetInt("bos_token_id") : null,
            EosTokenIds = c.GetInts("eos_token_id"),
        };
        config.Validate(c.File);
        return config;
    }

    /// <summary>Checks the sizes; <paramref name="source"/> names the file in messages.</summary>
    /// <exception cref="InvalidDataException">A bad value, naming <paramref name="source"/> and the key.</exception>
    public void Validate(string source)
    {
        foreach (var (key, value) in new[]
                 {
                     ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize),
                     ("num_hidden_layers", NumHiddenLayers), ("num_attention_heads", NumAttentionHeads),
                     ("num_key_value_heads", KeyValueHeads), ("head_dim", HeadSize), ("max_position_embeddings", MaxPositionEmbeddings),
                 })
        {
            if (value < 1) throw new InvalidDataException($"{source}: '{key}' must be positive, got {value}");
        }
        if (HeadDim is null && HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: 'hidden_size' ({HiddenSize}) must be a multiple of 'num_attention_heads' ({NumAttentionHeads}) when 'head_dim' is not given");
        if (NumAttentionHeads % KeyValueHeads != 0)
            throw new InvalidDataException($"{source}: 'num_attention_heads' ({NumAttentionHeads}) must be a multiple of 'num_key_value_heads' ({KeyValueHeads})");
        if (HeadSize % 2 != 0) throw new InvalidDataException($"{source}: 'head_dim' ({HeadSize}) must be even for RoPE");
        if (RmsNormEps <= 0) throw new InvalidDataException($"{source}: 'rms_norm_eps' must be positive, got {RmsNormEps}");
        if (RopeTheta <= 0) throw new InvalidDataException($"{source}: 'rope_theta' must be positive, got {RopeTheta}");
        if (AttentionDropout is < 0 or >= 1) throw new InvalidDataException($"{source}: 'attention_dropout' must be in [0, 1), got {AttentionDropout}");
        Activation.Parse(HiddenAct, source);
    }

    /// <summary>Writes the keys into <paramref name="o"/>.</summary>
    public void WriteTo(JsonObject o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o["vocab_size"] = VocabSize;
        o["hidden_size"] = HiddenSize;
        o["intermediate_size"] = IntermediateSize;
        o["num_hidden_layers"] = NumHiddenLayers;
        o["num_attention_heads"] = NumAttentionHeads;
        o["num_key_value_heads"] = KeyValueHeads;
        o["head_dim"] = HeadSize;
        o["hidden_act"] = HiddenAct;
        o["max_position_embeddings"] = MaxPositionEmbeddings;
        o["initializer_range"] = InitializerRange;
        o["rms_norm_eps"] = RmsNormEps;
        o["rope_theta"] = RopeTheta;
        o["rope_scaling"] = null;
        o["attention_bias"] = AttentionBias;
        o["attention_dropout"] = AttentionDropout;
        o["mlp_bias"] = MlpBias;
        o["tie_word_embeddings"] = TieWordEmbeddings;
        o["bos_token_id"] = BosTokenId;
        o["eos_token_id"] = EosTokenIds.Count == 1 ? EosTokenIds[0] : EosTokenIds.Count == 0 ? null : new JsonArray(EosTokenIds.Select(i => (JsonNode?)i).ToArray());
    }
}
