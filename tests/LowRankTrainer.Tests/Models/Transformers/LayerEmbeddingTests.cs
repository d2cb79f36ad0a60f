using LowRankTrainer.Losses;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Models.Transformers.Bert;
using LowRankTrainer.Models.Transformers.Gpt2;
using LowRankTrainer.Models.Transformers.Llama;
using LowRankTrainer.Tests.Losses;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Models.Transformers;

/// <summary>
/// Per-layer sentence embeddings: mean pooling over real tokens (sentence-transformers' <c>Pooling(mean)</c>) against
/// hand computations, and <see cref="TransformerModel.HiddenLayers"/> / <see cref="TransformerLayerEmbedder"/> on
/// each family.
/// </summary>
public sealed class LayerEmbeddingTests : IDisposable
{
    private const long Pad = 0;

    // Outlives the models built from it (their dropout layers keep it).
    private readonly Generator _generator = new(4);

    public void Dispose() => _generator.Dispose();

    [Fact]
    public void MeanPool_AveragesTheRealTokensOnly_HandComputed()
    {
        using var scope = new DisposeScope();
        // Two texts of T = 3, d = 2: row 0 has 2 real tokens, row 1 has 1 (its padding states are large on purpose).
        var hidden = Tensor.From<float>([1, 2, 3, 4, 100, 100, 5, -1, 50, 50, -70, 70], [2, 3, 2]);
        var mask = Tensor.From<long>([1, 1, 0, 1, 0, 0], [2, 3]);
        var pooled = EmbeddingOps.MeanPool(hidden, mask).ToArray<float>();
        // Row 0: ((1 + 3)/2, (2 + 4)/2) = (2, 3); row 1: (5, −1).
        Assert.Equal([2f, 3f, 5f, -1f], pooled);
        // A boolean mask means the same; no mask averages every token.
        Assert.Equal(pooled, EmbeddingOps.MeanPool(hidden, mask.Ne(0)).ToArray<float>());
        Assert.Equal([(1 + 3 + 100) / 3f, (2 + 4 + 100) / 3f, (5 + 50 - 70) / 3f, (-1 + 50 + 70) / 3f], EmbeddingOps.MeanPool(hidden, null).ToArray<float>());
    }

    [Fact]
    public void MeanPool_AllPaddingRow_IsZeroNotNaN()
    {
        using var scope = new DisposeScope();
        var hidden = Tensor.Ones([1, 2, 3]);
        var pooled = EmbeddingOps.MeanPool(hidden, Tensor.Zeros([1, 2], DType.Int64)).ToArray<float>();
        Assert.Equal([0f, 0f, 0f], pooled);
    }

    private BertModel TinyBert() =>
        new(new BertConfig { VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 3, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 16, PadTokenId = Pad },
            TransformerTask.SequenceClassification, ["a", "b"], _generator);

    /// <summary>Two rows: 4 real tokens then 2 pads, and 2 real tokens then 4 pads.</summary>
    private static Tensor Ids() => Tensor.From<long>([5, 7, 9, 11, Pad, Pad, 3, 4, Pad, Pad, Pad, Pad], [2, 6]);

    [Fact]
    public void Bert_LayerEmbeddings_AreTheMeanOfEachLayersRealTokenStates_ByHand()
    {
        using var scope = new DisposeScope();
        using var model = TinyBert();
        model.Eval();
        var ids = Ids();
        var hidden = model.HiddenLayers(ids);
        var embeddings = new TransformerLayerEmbedder(model).EmbedLayers(ids);
        Assert.Equal(3, hidden.Count);
        Assert.Equal(3, embeddings.Count);
        int[] real = [4, 2];
        for (var l = 0; l < 3; l++)
        {
            Assert.Equal([2L, 6, 8], hidden[l].Shape);
            Assert.Equal([2L, 8], embeddings[l].Shape);
            var states = hidden[l].To(DType.Float64).Contiguous().ToArray<double>();
            var got = Reference.Rows(embeddings[l]);
            for (var n = 0; n < 2; n++)
            {
                for (var k = 0; k < 8; k++)
                {
                    double sum = 0;
                    for (var t = 0; t < real[n]; t++) sum += states[(n * 6 * 8) + (t * 8) + k];
                    Assert.Equal(sum / real[n], got[n][k], 6);
                }
            }
        }
        // The last layer is the encoder's output (HF's last_hidden_state).
        Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(model.Hidden(ids), hidden[^1]));
    }

    [Fact]
    public void Bert_LayerEmbeddings_DoNotDependOnHowFarARowIsPadded()
    {
        using var scope = new DisposeScope();
        using var model = TinyBert();
        model.Eval();
        var ids = Ids();
        var longer = Tensor.Cat([ids, Tensor.Full([2, 5], Pad, DType.Int64)], 1);
        var embedder = new TransformerLayerEmbedder(model);
        var a = embedder.EmbedLayers(ids);
        var b = embedder.EmbedLayers(longer);
        for (var l = 0; l < 3; l++) Assert.True(TransformerFixture.MaxAbsDiff(a[l], b[l]) < 1e-5, $"layer {l + 1}");
    }

    [Fact]
    public void Bert_EmbedderShape_AndUnusedModules()
    {
        using var model = TinyBert();
        var embedder = new TransformerLayerEmbedder(model);
        Assert.Equal([8, 8, 8], embedder.LayerWidths);
        Assert.Equal(["classifier", "bert.pooler"], embedder.UnusedModules);
        Assert.Same(model, embedder.Model);
    }

    [Fact]
    public void Roberta_UnusedModules_AreItsHeadOnly()
    {
        using var model = new RobertaModel(new BertConfig { VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 24, PadTokenId = 1 },
            TransformerTask.SequenceClassification, ["a", "b"], _generator);
        Assert.Equal(["classifier"], model.EmbeddingUnusedModules);
        Assert.Equal(2, model.LayerCount);
    }

    [Fact]
    public void Gpt2_HiddenLayers_EndWithTheFinalNormedStates_AndPoolOverRealTokens()
    {
        using var scope = new DisposeScope();
        using var model = new Gpt2Model(new Gpt2Config { NLayer = 3, NEmbd = 8, NHead = 2, VocabSize = 20, NPositions = 16 }, TransformerTask.SequenceClassification, ["a", "b"], _generator, padTokenId: Pad);
        model.Eval();
        var ids = Ids();
        var hidden = model.HiddenLayers(ids);
        Assert.Equal(3, hidden.Count);
        Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(model.Body.Forward(ids, AttentionMasks.CausalWithPadding(ids.Ne(Pad))), hidden[^1]));
        var embeddings = new TransformerLayerEmbedder(model).EmbedLayers(ids);
        var first = hidden[0].Narrow(0, 1, 1).Narrow(1, 0, 2).Mean(1);
        Assert.True(TransformerFixture.MaxAbsDiff(first, embeddings[0].Narrow(0, 1, 1)) < 1e-6);
        Assert.Equal(["score"], model.EmbeddingUnusedModules);
    }

    [Fact]
    public void Llama_HiddenLayers_EndWithTheFinalNormedStates()
    {
        using var scope = new DisposeScope();
        using var model = new LlamaModel(new LlamaConfig { VocabSize = 20, HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, NumKeyValueHeads = 1 },
            TransformerTask.SequenceClassification, ["a", "b"], _generator, padTokenId: Pad);
        model.Eval();
        var ids = Ids();
        var hidden = model.HiddenLayers(ids);
        Assert.Equal(2, hidden.Count);
        Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(model.Body.Forward(ids, AttentionMasks.CausalWithPadding(ids.Ne(Pad))), hidden[^1]));
        Assert.Equal([8, 8], new TransformerLayerEmbedder(model).LayerWidths);
    }
}
