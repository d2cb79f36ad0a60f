using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Models.Transformers.Gpt2;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Models.Transformers;

public sealed class Gpt2Tests
{
    [Theory]
    [InlineData("gpt2_lm")]
    [InlineData("gpt2_lm_padded_sharded")]
    [InlineData("gpt2_cls_padded")]
    public void LogitsMatchTheTorchTranscriptionOfHfGpt2(string fixture)
    {
        Assert.True(TransformerFixture.MaxLogitDiff(fixture) < 1e-5);
    }
}
