namespace LowRankTrainer.Torch.Tests.Ops;

public class IndexingTests
{
    // [[1, 2], [3, 4], [5, 6]]
    private static Tensor M() => Tensor.From<float>([1, 2, 3, 4, 5, 6], [3, 2]);

    [Fact]
    public void IndexSelect_RowsWithRepeatsAndColumns_PicksEntries()
    {
        using var scope = new DisposeScope();
        var m = M();
        var rows = m.IndexSelect(0, Tensor.From(2L, 0L, 2L));
        Assert.Equal(new long[] { 3, 2 }, rows.Shape);
        Assert.Equal(new[] { 5f, 6f, 1f, 2f, 5f, 6f }, rows.ToArray<float>());
        var col = m.IndexSelect(1, Tensor.From(1L));
        Assert.Equal(new long[] { 3, 1 }, col.Shape);
        Assert.Equal(new[] { 2f, 4f, 6f }, col.ToArray<float>());
    }

    [Fact]
    public void Gather_Dim1AndDim0_FollowsIndexFormula()
    {
        using var scope = new DisposeScope();
        var src = Tensor.From<float>([1, 2, 3, 4], [2, 2]);
        // dim 1: out[i][j] = src[i][idx[i][j]]
        var g1 = src.Gather(1, Tensor.From<long>([0, 0, 1, 0], [2, 2]));
        Assert.Equal(new[] { 1f, 1f, 4f, 3f }, g1.ToArray<float>());
        // dim 0: out[i][j] = src[idx[i][j]][j]
        var g0 = src.Gather(0, Tensor.From<long>([1, 0, 0, 0], [2, 2]));
        Assert.Equal(new[] { 3f, 2f, 1f, 2f }, g0.ToArray<float>());
    }

    [Fact]
    public void Scatter_TensorSource_WritesAtIndexAndLeavesInput()
    {
        using var scope = new DisposeScope();
        var z = Tensor.Zeros(3, 3);
        var s = z.Scatter(0, Tensor.From<long>([0, 1, 2], [1, 3]), Tensor.From<float>([1, 2, 3], [1, 3]));
        Assert.Equal(new[] { 1f, 0, 0, 0, 2, 0, 0, 0, 3 }, s.ToArray<float>());
        Assert.Equal(new float[9], z.ToArray<float>());
    }

    [Fact]
    public void Scatter_ScalarValue_WritesValueAtIndex()
    {
        using var scope = new DisposeScope();
        var s = Tensor.Zeros(2, 4).Scatter(1, Tensor.From<long>([1, 3], [2, 1]), 9.0);
        Assert.Equal(new[] { 0f, 9, 0, 0, 0, 0, 0, 9 }, s.ToArray<float>());
    }

    [Fact]
    public void ScatterAdd_DuplicateIndices_Accumulate()
    {
        using var scope = new DisposeScope();
        var r = Tensor.Zeros(3).ScatterAdd(0, Tensor.From(0L, 0L, 2L, 0L), Tensor.From(1f, 2f, 3f, 4f));
        Assert.Equal(new[] { 7f, 0f, 3f }, r.ToArray<float>());
        var acc = Tensor.Ones([3], DType.Int64).ScatterAdd(0, Tensor.From(1L, 1L), Tensor.From(5L, 6L));
        Assert.Equal(new long[] { 1, 12, 1 }, acc.ToArray<long>());
    }

    [Fact]
    public void MaskedFill_Mask_CopyWithValueAndInputUnchanged()
    {
        using var scope = new DisposeScope();
        var t = Tensor.From(1f, 2f, 3f, 4f);
        var mask = Tensor.From(true, false, true, false);
        Assert.Equal(new[] { -1f, 2f, -1f, 4f }, t.MaskedFill(mask, -1).ToArray<float>());
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, t.ToArray<float>());
        var rowMask = Tensor.From<bool>([false, true], [2, 1]);
        var m = Tensor.Zeros(2, 3).MaskedFill(rowMask, 5.5);
        Assert.Equal(new[] { 0f, 0, 0, 5.5f, 5.5f, 5.5f }, m.ToArray<float>());
    }

    [Fact]
    public void MaskedFillInPlace_Mask_SameInstanceMutated()
    {
        using var scope = new DisposeScope();
        var t = Tensor.From(1L, 2L, 3L);
        Assert.Same(t, t.MaskedFill_(Tensor.From(false, true, true), 0));
        Assert.Equal(new long[] { 1, 0, 0 }, t.ToArray<long>());
    }

    [Fact]
    public void MaskedSelect_Mask_FlatSelectedEntriesRowMajor()
    {
        using var scope = new DisposeScope();
        var t = Tensor.From<float>([1, 2, 3, 4], [2, 2]);
        var s = t.MaskedSelect(Tensor.From<bool>([false, true, true, true], [2, 2]));
        Assert.Equal(new long[] { 3 }, s.Shape);
        Assert.Equal(new[] { 2f, 3f, 4f }, s.ToArray<float>());
    }

    [Fact]
    public void Where_Condition_PicksFromEitherWithBroadcast()
    {
        using var scope = new DisposeScope();
        var cond = Tensor.From(true, false, true);
        var a = Tensor.From(1f, 2f, 3f);
        var b = Tensor.From(10f, 20f, 30f);
        Assert.Equal(new[] { 1f, 20f, 3f }, Tensor.Where(cond, a, b).ToArray<float>());
        var zero = Tensor.ScalarTensor(0);
        Assert.Equal(new[] { 1f, 0f, 3f }, Tensor.Where(cond, a, zero).ToArray<float>());
    }

    [Fact]
    public void Indexer_BoolRowMask_SelectsRows()
    {
        using var scope = new DisposeScope();
        var r = M()[Tensor.From(true, false, true)];
        Assert.Equal(new long[] { 2, 2 }, r.Shape);
        Assert.Equal(new[] { 1f, 2f, 5f, 6f }, r.ToArray<float>());
    }

    [Fact]
    public void Indexer_Int64Index_PicksRowsOfDim0()
    {
        using var scope = new DisposeScope();
        var r = M()[Tensor.From(2L, 0L)];
        Assert.Equal(new long[] { 2, 2 }, r.Shape);
        Assert.Equal(new[] { 5f, 6f, 1f, 2f }, r.ToArray<float>());
    }

    [Fact]
    public void IndexerSetter_IntAndBoolIndex_WritesInPlace()
    {
        using var scope = new DisposeScope();
        var t = Tensor.Zeros(3);
        t[Tensor.From(0L, 2L)] = Tensor.From(7f, 8f);
        Assert.Equal(new[] { 7f, 0f, 8f }, t.ToArray<float>());
        var m = M();
        m[Tensor.From(false, true, false)] = Tensor.From(-1f, -2f);
        Assert.Equal(new[] { 1f, 2f, -1f, -2f, 5f, 6f }, m.ToArray<float>());
        var v = Tensor.From(1f, 2f, 3f);
        v[Tensor.From(true, false, true)] = Tensor.ScalarTensor(5);
        Assert.Equal(new[] { 5f, 2f, 5f }, v.ToArray<float>());
    }

    [Fact]
    public void OneHot_InferredAndExplicitClasses_Int64Rows()
    {
        using var scope = new DisposeScope();
        var labels = Tensor.From(0L, 2L, 1L);
        var inferred = labels.OneHot();
        Assert.Equal(DType.Int64, inferred.DType);
        Assert.Equal(new long[] { 3, 3 }, inferred.Shape);
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 1, 0, 1, 0 }, inferred.ToArray<long>());
        var wide = labels.OneHot(4);
        Assert.Equal(new long[] { 3, 4 }, wide.Shape);
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0 }, wide.ToArray<long>());
    }
}
