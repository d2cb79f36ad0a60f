namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A lookup table (PyTorch's nn.Embedding): y[…] = W[idx[…]] with <c>weight</c> (num, dim) ~ N(0, 1).
/// The <c>paddingIdx</c> row (negative counts from the end) starts at zero and receives no gradient.
/// </summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>Creates the table with N(0, 1) entries drawn from <paramref name="generator"/>.</summary>
    public Embedding(long numEmbeddings, long embeddingDim, long? paddingIdx = null, Generator? generator = null,
                     DType dtype = DType.Float32, Device device = default)
    {
        if (paddingIdx is { } p)
        {
            if (p >= numEmbeddings || p < -numEmbeddings) throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, "padding_idx must be within num_embeddings");
            PaddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        using var suspended = DisposeScope.Suspend();
        var w = Init.Normal_(Tensor.Empty([numEmbeddings, embeddingDim], dtype, device), 0, 1, generator);
        if (PaddingIdx is { } pad)
        {
            using var row = w.Select(0, pad);
            row.Zero_();
        }
        Weight = RegisterParameter("weight", w);
    }

    /// <summary>Number of rows.</summary>
    public long NumEmbeddings { get; }

    /// <summary>Size of each row.</summary>
    public long EmbeddingDim { get; }

    /// <summary>The row that receives no gradient, if any (non-negative).</summary>
    public long? PaddingIdx { get; }

    /// <summary>W, (num, dim).</summary>
    public Parameter Weight { get; }

    /// <summary>Looks up integer indices of any shape; the result has one more dim.</summary>
    public override Tensor Forward(Tensor input) => Functional.Embedding(input, Weight.Value, PaddingIdx);
}
