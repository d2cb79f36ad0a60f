using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Ops;

/// <summary>
/// ToString against strings printed by PyTorch itself (Debian's python3-torch 1.13,
/// <c>repr(str(t))</c>) for the same tensors: wrapping, padding, summarising, grad_fn, empties.
/// </summary>
public class FormatParityTests
{
    [Fact]
    public void ToString_LongVector_WrapsAt80ColumnsWithPadding()
    {
        using var scope = new DisposeScope();
        var t = Tensor.Arange(0, 30, 1, DType.Float32) * 1.5;
        Assert.Equal(
            "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n" +
            "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n" +
            "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n" +
            "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])",
            t.ToString());
    }

    [Fact]
    public void ToString_NonLeaf_ShowsGradFn()
    {
        using var scope = new DisposeScope();
        var x = Tensor.From(1f, 2f).RequiresGrad_();
        Assert.Equal("tensor([1., 4.], grad_fn=<MulBackward0>)", (x * x).ToString());
    }

    [Fact]
    public void ToString_Empty_ShowsSizeAndNonFloatDtype()
    {
        using var scope = new DisposeScope();
        Assert.Equal("tensor([], size=(0, 3))", Tensor.Zeros(0, 3).ToString());
        Assert.Equal("tensor([], dtype=torch.int64)", Tensor.Zeros([0], DType.Int64).ToString());
        Assert.Equal("tensor([])", Tensor.Zeros(0).ToString());
    }

    [Fact]
    public void ToString_Summarised3D_ElidesEveryLongDim()
    {
        using var scope = new DisposeScope();
        var t = Tensor.Arange(2 * 3 * 1000).Reshape(2, 3, 1000);
        Assert.Equal(
            "tensor([[[   0,    1,    2,  ...,  997,  998,  999],\n" +
            "         [1000, 1001, 1002,  ..., 1997, 1998, 1999],\n" +
            "         [2000, 2001, 2002,  ..., 2997, 2998, 2999]],\n\n" +
            "        [[3000, 3001, 3002,  ..., 3997, 3998, 3999],\n" +
            "         [4000, 4001, 4002,  ..., 4997, 4998, 4999],\n" +
            "         [5000, 5001, 5002,  ..., 5997, 5998, 5999]]])",
            t.ToString());
    }

    [Fact]
    public void ToString_ScientificWithNonFinite_PadsEveryCell()
    {
        using var t = Tensor.From(1e-5f, 1f, float.NaN, float.NegativeInfinity);
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00,        nan,       -inf])", t.ToString());
    }

    [Fact]
    public void ToString_ZeroDim_PrintsTheBareValue()
    {
        using var three = Tensor.ScalarTensor(3);
        using var quarter = Tensor.ScalarTensor(-0.25);
        Assert.Equal("tensor(3.)", three.ToString());
        Assert.Equal("tensor(-0.2500)", quarter.ToString());
    }
}
