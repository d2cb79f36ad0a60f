namespace LowRankTrainer.Torch.Tests.Ops;

/// <summary>In-place ops (trailing underscore): each returns the same instance and mutates its storage.</summary>
public class InPlaceTests
{
    private static void Check(float[] start, Func<Tensor, Tensor> op, float[] expected)
    {
        using var t = Tensor.From(start);
        using var view = t.Alias();
        var r = op(t);
        Assert.Same(t, r);
        Assert.Equal(expected, t.ToArray<float>());
        Assert.Equal(expected, view.ToArray<float>());
    }

    [Fact]
    public void AddSub_TensorWithAndWithoutAlpha_SameInstanceMutated()
    {
        using var o = Tensor.From(10f, 20f);
        Check([1, 2], t => t.Add_(o), [11, 22]);
        Check([1, 2], t => t.Add_(o, 3), [31, 62]);
        Check([1, 2], t => t.Sub_(o), [-9, -18]);
        Check([1, 2], t => t.Sub_(o, 0.5), [-4, -8]);
    }

    [Fact]
    public void MulDiv_Tensor_SameInstanceMutated()
    {
        using var o = Tensor.From(4f, -0.5f);
        Check([2, 3], t => t.Mul_(o), [8, -1.5f]);
        Check([2, 3], t => t.Div_(o), [0.5f, -6]);
    }

    [Fact]
    public void ScalarForms_AddMulDiv_SameInstanceMutated()
    {
        Check([1, -2], t => t.Add_(2.5), [3.5f, 0.5f]);
        Check([1, -2], t => t.Mul_(-3), [-3, 6]);
        Check([1, -2], t => t.Div_(4), [0.25f, -0.5f]);
    }

    [Fact]
    public void Clamp_InPlaceBounds_SameInstanceMutated()
    {
        Check([-3, 0, 3], t => t.Clamp_(-1, 1), [-1, 0, 1]);
        Check([-3, 0, 3], t => t.Clamp_(min: 0.5), [0.5f, 0.5f, 3]);
        Check([-3, 0, 3], t => t.Clamp_(max: -2), [-3, -2, -2]);
    }

    [Fact]
    public void FillZero_AllElements_SameInstanceMutated()
    {
        Check([1, 2, 3], t => t.Fill_(7.25), [7.25f, 7.25f, 7.25f]);
        Check([1, 2, 3], t => t.Zero_(), [0, 0, 0]);
    }

    [Fact]
    public void Add_Int64InPlace_KeepsDtype()
    {
        using var t = Tensor.From(1L, 2L);
        Assert.Same(t, t.Add_(5).Mul_(2));
        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal(new long[] { 12, 14 }, t.ToArray<long>());
    }

    [Fact]
    public void Copy_RowIntoMatrix_BroadcastsAndConvertsDtype()
    {
        using var dst = Tensor.Zeros(3, 2);
        using var row = Tensor.From<long>([5, 6], [1, 2]);
        Assert.Same(dst, dst.Copy_(row));
        Assert.Equal(DType.Float32, dst.DType);
        Assert.Equal(new[] { 5f, 6f, 5f, 6f, 5f, 6f }, dst.ToArray<float>());
    }

    [Fact]
    public void Copy_IntoNarrowedView_WritesThroughToBase()
    {
        using var baseT = Tensor.Zeros(4);
        using var window = baseT.Narrow(0, 1, 2);
        using var src = Tensor.From(8f, 9f);
        window.Copy_(src);
        Assert.Equal(new[] { 0f, 8f, 9f, 0f }, baseT.ToArray<float>());
    }
}
