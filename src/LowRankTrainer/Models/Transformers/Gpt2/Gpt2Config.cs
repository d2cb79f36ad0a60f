using System.Text.Json.Nodes;

namespace LowRankTrainer.Models.Transformers.Gpt2;

/// <summary>
/// GPT-2's hyper-parameters under HF's <c>GPT2Config</c> names (Radford et al. 2019). Defaults are the 124M model's.
/// </summary>
public sealed record Gpt2Config
{
    /// <summary><c>vocab_size</c>.</summary>
    public long VocabSize { get; init; } = 50257;

    /// <summary><c>n_positions</c> (older files: <c>n_ctx</c>): the longest sequence.</summary>
    public long NPositions { get; init; } = 1024;

    /// <summary><c>n_embd</c>: the model width d.</summary>
    public long NEmbd { get; init; } = 768;

    /// <summary><c>n_layer</c>.</summary>
    public long NLayer { get; init; } = 12;

    /// <summary><c>n_head</c>; d must be a multiple of it.</summary>
    public long NHead { get; init; } = 12;

    /// <summary><c>n_inner</c>: the MLP width (null: 4d).</summary>
    public long? NInner { get; init; }

    /// <summary><c>activation_function</c>.</summary>
    public string ActivationFunction { get; init; } = "gelu_new";

    /// <summary><c>resid_pdrop</c>, <c>embd_pdrop</c>, <c>attn_pdrop</c>.</summary>
    public double ResidPdrop { get; init; } = 0.1;

    /// <summary><c>embd_pdrop</c>.</summary>
    public double EmbdPdrop { get; init; } = 0.1;

    /// <summary><c>attn_pdrop</c>.</summary>
    public double AttnPdrop { get; init; } = 0.1;

    /// <summary><c>layer_norm_epsilon</c>.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary><c>initializer_range</c>: the std of the normal initialisation.</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary><c>scale_attn_weights</c>: scores divided by √head_dim (true in every released GPT-2).</summary>
    public bool ScaleAttnWeights { get; init; } = true;

    /// <summary><c>scale_attn_by_inverse_layer_idx</c>: scores further divided by layer index + 1.</summary>
    public bool ScaleAttnByInverseLayerIdx { get; init; }

    /// <summary><c>bos_token_id</c>.</summary>
    public long BosTokenId { get; init; } = 50256;

    /// <summary><c>eos_token_id</c>.</summary>
    public long EosTokenId { get; init; } = 50256;

    /// <summary>The MLP width: <see cref="NInner"/> or 4d.</summary>
    public long InnerSize => NInner ?? 4 * NEmbd;

    /// <summary>Reads the keys from <paramref name="c"/>, checking sizes.</summary>
    /// <exception cref="InvalidDataException">A bad value; the message names the file and key.</exception>
    public static Gpt2Config FromJson(HfConfigJson c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var config = new Gpt2Config
        {
            VocabSize = c.GetInt("vocab_size", 50257),
            NPositions = c.GetIntAny(["n_positions", "n_ctx"], 1024),
            NEmbd = c.GetInt("n_embd", 768),
            NLayer = c.GetInt("n_layer", 12),
            NHead = c.GetInt("n_head", 12),
            NInner = c.GetIntOrNull("n_inner"),
            ActivationFunction = c.GetString("activation_function", "gelu_new")!,
            ResidPdrop = c.GetDouble("resid_pdrop", 0.1),
            EmbdPdrop = c.GetDouble("embd_pdrop", 0.1),
            AttnPdrop = c.GetDouble("attn_pdrop", 0.1),
            LayerNormEpsilon = c.GetDouble("layer_norm_epsilon", 1e-5),
            InitializerRange = c.GetDouble("initializer_range", 0.02),
            ScaleAttnWeights = c.GetBool("scale_attn_weights", true),
            ScaleAttnByInverseLayerIdx = c.GetBool("scale_attn_by_inverse_layer_idx", false),
            BosTokenId = c.GetInt("bos_token_id", 50256),
            EosTokenId = c.GetInt("eos_token_id", 50256),
        };
        config.Validate(c.File);
        return config;
    }

    /// <summary>Checks the sizes; <paramref name="source"/> names the file in messages.</summary>
    public void Validate(string source)
    {
        foreach (var (key, value) in new[] { ("vocab_size", VocabSize), ("n_positions", NPositions), ("n_embd", NEmbd), ("n_layer", NLayer), ("n_head", NHead), ("n_inner", InnerSize) })
        {
            if (value < 1) throw new InvalidDataException($"{source}: '{key}' must be positive, got {value}");
        }
        if (NEmbd % NHead != 0) throw new InvalidDataException($"{source}: 'n_embd' ({NEmbd}) must be a multiple of 'n_head' ({NHead})");
        foreach (var (key, p) in new[] { ("resid_pdrop", ResidPdrop), ("embd_pdrop", EmbdPdrop), ("attn_pdrop", AttnPdrop) })
        {
            if (p is < 0 or >= 1) throw new InvalidDataException($"{source}: '{key}' must be in [0, 1), got {p}");
        }
        Activation.Parse(ActivationFunction, source);
    }

    /// <summary>Writes the keys into <paramref name="o"/>.</summary>
    public void WriteTo(JsonObject o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o["vocab_size"] = VocabSize;
        o["n_positions"] = NPositions;
        o["n_embd"] = NEmbd;
        o["n_layer"] = NLayer;
        o["n_head"] = NHead;
        o["n_inner"] = NInner;
        o["activation_function"] = ActivationFunction;
        o["resid_pdrop"] = ResidPdrop;
        o["embd_pdrop"] = EmbdPdrop;
        o["attn_pdrop"] = AttnPdrop;
        o["layer_norm_epsilon"] = LayerNormEpsilon;
        o["initializer_range"] = InitializerRange;
        o["scale_attn_weights"] = ScaleAttnWeights;
        o["scale_attn_by_inverse_layer_idx"] = ScaleAttnByInverseLayerIdx;
        o["bos_token_id"] = BosTokenId;
        o["eos_token_id"] = EosTokenId;
    }
}
