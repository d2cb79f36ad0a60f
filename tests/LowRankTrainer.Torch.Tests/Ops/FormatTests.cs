namespace LowRankTrainer.Torch.Tests.Ops;

/// <summary>
/// ToString against PyTorch 1.13's own printing (the expected strings were taken from
/// <c>print(torch.tensor(...))</c>); where the binding deliberately differs it is said so.
/// </summary>
public class FormatTests
{
    [Fact]
    public void ToString_IntegralFloats_TrailingDot()
    {
        using var t = Tensor.From(1f, 2f);
        Assert.Equal("tensor([1., 2.])", t.ToString());
    }

    [Fact]
    public void ToString_NonIntegralFloats_FourDecimals()
    {
        using var t = Tensor.From(1.5f, 2.25f);
        Assert.Equal("tensor([1.5000, 2.2500])", t.ToString());
    }

    [Fact]
    public void ToString_Int64_PlainIntegers()
    {
        using var t = Tensor.From(1L, 2L, 3L);
        Assert.Equal("tensor([1, 2, 3])", t.ToString());
    }

    [Fact]
    public void ToString_ZeroDim_NoBrackets()
    {
        using var a = Tensor.ScalarTensor(3);
        using var b = Tensor.ScalarTensor(2.5);
        using var c = Tensor.From(7L).Reshape();
        Assert.Equal("tensor(3.)", a.ToString());
        Assert.Equal("tensor(2.5000)", b.ToString());
        Assert.Equal("tensor(7)", c.ToString());
    }

    [Fact]
    public void ToString_TwoDims_RowsOnIndentedLines()
    {
        using var t = Tensor.From<float>([1.5f, 2, 3, 4], [2, 2]);
        Assert.Equal("tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])", t.ToString());
    }

    [Fact]
    public void ToString_NanAndInf_SpelledLikePyTorch()
    {
        using var t = Tensor.From(float.NaN, 1f, float.PositiveInfinity);
        Assert.Equal("tensor([nan, 1., inf])", t.ToString());
    }

    [Fact]
    public void ToString_Empty_EmptyBrackets()
    {
        using var t = Tensor.Zeros(0);
        Assert.Equal("tensor([])", t.ToString());
    }

    [Fact]
    public void ToString_NonDefaultDtypes_DtypeSuffixAsPyTorch()
    {
        using var d = Tensor.From(1.0, 2.0);
        using var h = Tensor.From(1.5, 2.0).To(DType.BFloat16);
        using var i = Tensor.From(1, 2);
        using var u = Tensor.From<byte>(1, 2);
        Assert.Equal("tensor([1., 2.], dtype=torch.float64)", d.ToString());
        Assert.Equal("tensor([1.5000, 2.0000], dtype=torch.bfloat16)", h.ToString());
        Assert.Equal("tensor([1, 2], dtype=torch.int32)", i.ToString());
        Assert.Equal("tensor([1, 2], dtype=torch.uint8)", u.ToString());
    }

    [Fact]
    public void ToString_RequiresGrad_Suffix()
    {
        using var t = Tensor.From(1f, 2f).RequiresGrad_();
        using var d = Tensor.From(0.5, 2.0).RequiresGrad_();
        Assert.Equal("tensor([1., 2.], requires_grad=True)", t.ToString());
        Assert.Equal("tensor([0.5000, 2.0000], dtype=torch.float64, requires_grad=True)", d.ToString());
    }

    [Fact]
    public void ToString_MoreThanMaxPrinted_ElidesTheMiddleAsPyTorch()
    {
        // Expected strings printed by Debian's python3-torch 1.13 for the same tensors.
        using var big = Tensor.Zeros(2, 1000);
        using var edge = Tensor.Zeros(Tensor.MaxPrintedElements);
        Assert.Equal("tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n        [0., 0., 0.,  ..., 0., 0., 0.]])", big.ToString());
        Assert.DoesNotContain("...", edge.ToString(), StringComparison.Ordinal);
        using var d = Tensor.Zeros([1001], DType.Float64);
        Assert.Equal("tensor([0., 0., 0.,  ..., 0., 0., 0.], dtype=torch.float64)", d.ToString());
    }

    [Fact]
    public void ToString_Disposed_Placeholder()
    {
        var t = Tensor.From(1f);
        t.Dispose();
        Assert.Equal("tensor(<disposed>)", t.ToString());
    }

    [Fact]
    public void ToString_Transposed_LogicalOrder()
    {
        using var scope = new DisposeScope();
        var t = Tensor.From<long>([1, 2, 3, 4], [2, 2]).MT;
        Assert.Equal("tensor([[1, 3],\n        [2, 4]])", t.ToString());
    }

    [Fact]
    public void ToString_MixedWidthCells_RightAlignedLikePyTorch()
    {
        using var b = Tensor.From(true, false);
        using var f = Tensor.From(-1.5f, 2f);
        using var i = Tensor.From(-1L, 2L);
        Assert.Equal("tensor([ True, False])", b.ToString());
        Assert.Equal("tensor([-1.5000,  2.0000])", f.ToString());
        Assert.Equal("tensor([-1,  2])", i.ToString());
    }

    [Fact]
    public void ToString_ThreeDims_BlankLineBetweenBlocks()
    {
        using var t = Tensor.From<float>([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
        Assert.Equal("tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])", t.ToString());
    }

    [Fact]
    public void ToString_WideDynamicRange_ScientificNotation()
    {
        using var small = Tensor.From(1e-5f, 1f);
        using var large = Tensor.From(1e10f, 1f);
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00])", small.ToString());
        Assert.Equal("tensor([1.0000e+10, 1.0000e+00])", large.ToString());
    }
}
