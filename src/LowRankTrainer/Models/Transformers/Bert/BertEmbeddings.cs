using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models.Transformers.Bert;

/// <summary>How an encoder numbers positions.</summary>
public enum BertPositionScheme
{
    /// <summary>BERT: position t of every row is t (0 … T−1).</summary>
    FromZero,

    /// <summary>
    /// RoBERTa (HF's <c>create_position_ids_from_input_ids</c>): pₜ = cumsum(m)ₜ·mₜ + pad with m = [ids ≠ pad], so real
    /// tokens count from pad + 1 and every pad token sits at position pad (whose row is the padding row).
    /// </summary>
    AfterPadding,
}

/// <summary>
/// The input embeddings of BERT/RoBERTa (HF <c>BertEmbeddings</c>/<c>RobertaEmbeddings</c>, child <c>embeddings</c>):
/// e = dropout(LayerNorm(word[ids] + position[p] + token_type[0])) (Devlin et al. 2019, §3 "Input/Output
/// Representations"). Every row is one segment, so the token types are all 0.
/// </summary>
public sealed class BertEmbeddings : Module
{
    private readonly BertPositionScheme _scheme;
    private readonly long _pad;
    private readonly long _maxPositions;

    /// <summary>Creates the three tables, the LayerNorm and the dropout.</summary>
    public BertEmbeddings(BertConfig config, BertPositionScheme scheme, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        _scheme = scheme;
        _pad = config.PadTokenId;
        _maxPositions = config.MaxPositionEmbeddings;
        var d = config.HiddenSize;
        RegisterModule("word_embeddings", new Embedding(config.VocabSize, d, paddingIdx: config.PadTokenId, generator: generator));
        RegisterModule("position_embeddings", new Embedding(config.MaxPositionEmbeddings, d,
            paddingIdx: scheme == BertPositionScheme.AfterPadding ? config.PadTokenId : null, generator: generator));
        RegisterModule("token_type_embeddings", new Embedding(config.TypeVocabSize, d, generator: generator));
        RegisterModule("LayerNorm", new LayerNorm(d, config.LayerNormEps));
        RegisterModule("dropout", new Dropout(config.HiddenDropoutProb, generator));
    }

    /// <summary>The position ids of <paramref name="ids"/> [N, T] under the scheme, int64 [N, T] or [T].</summary>
    /// <exception cref="ArgumentException">A position beyond <c>max_position_embeddings</c>.</exception>
    public Tensor PositionIds(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var t = ids.Size(1);
        if (_scheme == BertPositionScheme.FromZero)
        {
            if (t > _maxPositions) throw new ArgumentException($"the sequence has {t} tokens; this model takes at most max_position_embeddings = {_maxPositions}", nameof(ids));
            return Tensor.Arange(0L, t, 1L, DType.Int64, ids.Device);
        }
        if (t + _pad + 1 > _maxPositions)
            throw new ArgumentException($"the sequence has {t} tokens; with padding_idx {_pad} this model takes at most max_position_embeddings − pad − 1 = {_maxPositions - _pad - 1}", nameof(ids));
        using var real = ids.Ne(_pad);
        using var m = real.To(DType.Int64);
        using var count = m.CumSum(1);
        using var masked = count.Mul(m);
        return masked.Add(_pad);
    }

    /// <summary>The embeddings [N, T, d] of <paramref name="ids"/> [N, T].</summary>
    public Tensor Forward(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var positions = PositionIds(ids);
        using var types = Tensor.Zeros([ids.Size(0), ids.Size(1)], DType.Int64, ids.Device);
        using var words = CallChild("word_embeddings", ids);
        using var pos = CallChild("position_embeddings", positions);
        using var typ = CallChild("token_type_embeddings", types);
        using var sum1 = words.Add(typ);
        using var sum = sum1.Add(pos);
        using var normed = CallChild("LayerNorm", sum);
        return CallChild("dropout", normed);
    }
}
