using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Models.Transformers.Gpt2;
using LowRankTrainer.Tests.Training;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Models.Transformers;

/// <summary>Properties any causal decoder with right padding must have, checked on GPT-2.</summary>
public sealed class Gpt2BehaviourTests
{
    private static readonly Gpt2Config Tiny = new() { VocabSize = 40, NPositions = 10, NEmbd = 16, NLayer = 2, NHead = 4, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 };

    private static Tensor Run(Gpt2Model m, long[] ids, long rows, long cols)
    {
        m.Eval();
        using var noGrad = Autograd.NoGrad();
        using var t = Tensor.From<long>(ids, [rows, cols]);
        return m.Forward(t);
    }

    [Fact]
    public void ChangingALaterTokenChangesNoEarlierLogits()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(5);
        using var m = new Gpt2Model(Tiny, TransformerTask.CausalLm, null, g);
        var a = Run(m, [3, 4, 5, 6, 7, 8], 1, 6);
        var b = Run(m, [3, 4, 5, 6, 9, 8], 1, 6);
        Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(a.Narrow(1, 0, 4), b.Narrow(1, 0, 4)));
        Assert.True(TransformerFixture.MaxAbsDiff(a.Narrow(1, 4, 1), b.Narrow(1, 4, 1)) > 1e-4);
    }

    [Fact]
    public void MorePaddingLeavesTheClassifierLogitsOfRealTokensUnchanged()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(6);
        using var m = new Gpt2Model(Tiny, TransformerTask.SequenceClassification, ["x", "y"], g, padTokenId: 0);
        var shortBatch = Run(m, [3, 4, 5, 0, 6, 7, 8, 9], 2, 4);
        var longBatch = Run(m, [3, 4, 5, 0, 0, 0, 6, 7, 8, 9, 0, 0], 2, 6);
        Assert.True(TransformerFixture.MaxAbsDiff(shortBatch, longBatch) < 1e-6);
        // The classifier reads the last real token: a row alone equals its batched logits.
        var alone = Run(m, [3, 4, 5], 1, 3);
        Assert.True(TransformerFixture.MaxAbsDiff(alone, shortBatch.Narrow(0, 0, 1)) < 1e-6);
    }
}

/// <summary>The shim's live-tensor count after GPT-2 training steps (serial: the count is process-wide).</summary>
[Collection(TrainingSerial.Name)]
public sealed class Gpt2LeakTests
{
    private static readonly Gpt2Config Tiny = new() { VocabSize = 40, NPositions = 10, NEmbd = 16, NLayer = 2, NHead = 4 };

    [Fact]
    public void TrainingStepsReturnTheLiveTensorCountToItsBaseline()
    {
        using var g = new Generator(7);
        using var m = new Gpt2Model(Tiny, TransformerTask.CausalLm, null, g, padTokenId: 0);
        using var ids = Tensor.From<long>([3, 4, 5, 6, 7, 0], [1, 6]);
        var parameters = m.Parameters();
        void Step()
        {
            using var scope = new DisposeScope();
            var logits = m.Forward(ids);
            var loss = logits.Square().Mean();
            loss.Backward();
            Autograd.ZeroGrad(parameters);
        }
        Step();
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;
        for (var i = 0; i < 3; i++) Step();
        DisposeScope.CollectOrphans();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
