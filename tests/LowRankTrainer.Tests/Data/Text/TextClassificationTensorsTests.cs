using LowRankTrainer.Data.Text;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data.Text;

public class TextClassificationTensorsTests
{
    private static readonly LabeledText[] Examples =
    [
        new("a b c d e f", "pos", "f", 1),
        new("a", "neg", "f", 2),
        new("b c", "pos", "f", 3),
    ];

    [Fact]
    public void Rows_AreTruncatedToMaxLength_AndPaddedOnTheRightWithThePadId_ToTheLongestRow()
    {
        var tok = new WordTokenizer();
        int a = tok.Id("a"), b = tok.Id("b"), c = tok.Id("c"), d = tok.Id("d");
        var labels = TextLabels.Build(Examples, [], "label");

        using var data = TextClassificationTensors.Build(tok, Examples, labels, new TextEncodingOptions(MaxLength: 4, PadTokenId: 99, AddSpecialTokens: false), "test");
        using var scope = new DisposeScope();

        Assert.Equal([3L, 4], data.Inputs.Shape);
        Assert.Equal(DType.Int64, data.Inputs.DType);
        Assert.Equal([a, b, c, d, a, 99, 99, 99, b, c, 99, 99], data.Inputs.ToArray<long>());
        Assert.Equal([3L], data.Targets.Shape);
        Assert.Equal(DType.Int64, data.Targets.DType);
        Assert.Equal([1L, 0, 1], data.Targets.ToArray<long>());
        Assert.Equal(["neg", "pos"], data.ClassNames);
    }

    [Fact]
    public void SpecialTokens_WrapEachText_AndCountTowardsMaxLength()
    {
        var tok = new WordTokenizer();
        int a = tok.Id("a"), b = tok.Id("b"), c = tok.Id("c");
        var labels = TextLabels.Build(Examples, [], "label");
        const int Cls = WordTokenizer.Cls, Sep = WordTokenizer.Sep;

        using var data = TextClassificationTensors.Build(tok, Examples, labels, new TextEncodingOptions(4, 0, AddSpecialTokens: true), "test");
        using var scope = new DisposeScope();

        Assert.Equal([Cls, a, b, Sep, Cls, a, Sep, 0, Cls, b, c, Sep], data.Inputs.ToArray<long>());
    }

    [Fact]
    public void ShortTexts_ArePaddedOnlyToTheLongestRow()
    {
        var tok = new WordTokenizer();
        LabeledText[] shortOnes = [new("a", "0", "f", 1), new("a b", "1", "f", 2)];
        using var data = TextClassificationTensors.Build(tok, shortOnes, TextLabels.Build(shortOnes, [], "label"), new TextEncodingOptions(128, 0, false), "test");
        Assert.Equal([2L, 2], data.Inputs.Shape);
    }

    [Fact]
    public void MaxLength_WithNoRoomBesideTheSpecialTokens_IsRejected()
    {
        var tok = new WordTokenizer();
        var labels = TextLabels.Build(Examples, [], "label");
        Assert.Throws<ArgumentException>(() => TextClassificationTensors.Build(tok, Examples, labels, new TextEncodingOptions(2, 0, true), "test"));
    }
}
