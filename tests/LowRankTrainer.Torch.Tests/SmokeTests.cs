using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests;

public class SmokeTests
{
    [Fact]
    public void Add_TwoSmallTensors_GivesElementwiseSum()
    {
        using var a = Tensor.From(1f, 2f, 3f);
        using var b = Tensor.From(10f, 20f, 30f);
        using var c = a + b;
        Assert.Equal(new[] { 11f, 22f, 33f }, c.ToArray<float>());
        Assert.Equal("tensor([11., 22., 33.])", c.ToString());
    }
}
