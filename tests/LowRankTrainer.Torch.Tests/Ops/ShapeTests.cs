namespace LowRankTrainer.Torch.Tests.Ops;

public class ShapeTests
{
    private static long[] Seq(long from, long count) => Enumerable.Range(0, (int)count).Select(i => from + i).ToArray();

    [Fact]
    public void Reshape_WithInferredDim_SameRowMajorElements()
    {
        using var scope = new DisposeScope();
        var a = Tensor.Arange(6);
        var r = a.Reshape(2, 3);
        Assert.Equal(new long[] { 2, 3 }, r.Shape);
        Assert.Equal(Seq(0, 6), r.ToArray<long>());
        Assert.Equal(new long[] { 3, 2 }, a.Reshape(-1, 2).Shape);
        Assert.Equal(new long[] { 6 }, r.Reshape(-1).Shape);
        Assert.Equal(new long[] { 1, 2, 3 }, a.Reshape(1, -1, 3).Shape);
    }

    [Fact]
    public void View_Contiguous_SharesStorage()
    {
        using var a = Tensor.Arange(6);
        using var v = a.View(3, 2);
        Assert.Equal(new long[] { 3, 2 }, v.Shape);
        v.Add_(100);
        Assert.Equal(Seq(100, 6), a.ToArray<long>());
    }

    [Fact]
    public void View_NonContiguous_ThrowsTorchException()
    {
        using var scope = new DisposeScope();
        var t = Tensor.Arange(6).Reshape(2, 3).MT;
        var ex = Assert.Throws<TorchException>(() => t.View(6));
        Assert.Contains("view size is not compatible", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TransposeAndMT_Matrix_SwapsIndicesAsNonContiguousView()
    {
        using var scope = new DisposeScope();
        var a = Tensor.Arange(6).Reshape(2, 3);
        var t = a.Transpose(0, 1);
        Assert.Equal(new long[] { 3, 2 }, t.Shape);
        Assert.False(t.IsContiguous);
        Assert.Equal(new long[] { 0, 3, 1, 4, 2, 5 }, t.ToArray<long>());
        Assert.Equal(new long[] { 0, 3, 1, 4, 2, 5 }, a.MT.ToArray<long>());
        var b = Tensor.Zeros(2, 3, 4);
        Assert.Equal(new long[] { 2, 4, 3 }, b.MT.Shape);
        Assert.Equal(new long[] { 4, 3, 2 }, b.Transpose(0, -1).Shape);
    }

    [Fact]
    public void Permute_ThreeDims_ElementMovesToPermutedIndex()
    {
        using var scope = new DisposeScope();
        var a = Tensor.Arange(24).Reshape(2, 3, 4);
        var p = a.Permute(2, 0, 1);
        Assert.Equal(new long[] { 4, 2, 3 }, p.Shape);
        var expected = new long[24];
        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                for (var k = 0; k < 4; k++) expected[(k * 6) + (i * 3) + j] = (i * 12) + (j * 4) + k;
            }
        }
        Assert.Equal(expected, p.ToArray<long>());
    }

    [Fact]
    public void Narrow_Columns_TakesWindow()
    {
        using var scope = new DisposeScope();
        var a = Tensor.Arange(6).Reshape(2, 3);
        var n = a.Narrow(1, 1, 2);
        Assert.Equal(new long[] { 2, 2 }, n.Shape);
        Assert.Equal(new long[] { 1, 2, 4, 5 }, n.ToArray<long>());
    }

    [Fact]
    public void Slice_WithStep_EveryStepthEntry()
    {
        using var scope = new DisposeScope();
        Assert.Equal(new long[] { 1, 4, 7 }, Tensor.Arange(10).Slice(0, 1, 8, 3).ToArray<long>());
        var m = Tensor.Arange(6).Reshape(2, 3);
        var s = m.Slice(1, 0, 3, 2);
        Assert.Equal(new long[] { 2, 2 }, s.Shape);
        Assert.Equal(new long[] { 0, 2, 3, 5 }, s.ToArray<long>());
    }

    [Fact]
    public void SelectAndIndexer_PositiveAndNegative_DropDim()
    {
        using var scope = new DisposeScope();
        var m = Tensor.Arange(6).Reshape(2, 3);
        Assert.Equal(new long[] { 3, 4, 5 }, m.Select(0, 1).ToArray<long>());
        Assert.Equal(new long[] { 2, 5 }, m.Select(1, -1).ToArray<long>());
        Assert.Equal(new long[] { 3, 4, 5 }, m[-1].ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 2 }, m[0].ToArray<long>());
        Assert.Equal(1, m[0].Rank);
        var item = m[1][2];
        Assert.Equal(0, item.Rank);
        Assert.Equal(5L, item.ToInt64());
    }

    [Fact]
    public void Select_WritesThroughView_ChangesBase()
    {
        using var m = Tensor.Zeros(2, 2);
        using var row = m[1];
        row.Fill_(3);
        Assert.Equal(new[] { 0f, 0f, 3f, 3f }, m.ToArray<float>());
    }

    [Fact]
    public void UnsqueezeSqueeze_SizeOneDims_InsertedAndRemoved()
    {
        using var scope = new DisposeScope();
        var a = Tensor.Arange(6);
        Assert.Equal(new long[] { 1, 6 }, a.Unsqueeze(0).Shape);
        Assert.Equal(new long[] { 6, 1 }, a.Unsqueeze(-1).Shape);
        var z = Tensor.Zeros(1, 3, 1, 2);
        Assert.Equal(new long[] { 3, 2 }, z.Squeeze().Shape);
        Assert.Equal(new long[] { 3, 1, 2 }, z.Squeeze(0).Shape);
        Assert.Equal(new long[] { 1, 3, 2 }, z.Squeeze(-2).Shape);
        Assert.Equal(new long[] { 1, 3, 1, 2 }, z.Squeeze(1).Shape);
    }

    [Fact]
    public void Expand_Column_RepeatsWithoutCopy()
    {
        using var scope = new DisposeScope();
        var col = Tensor.From<float>([1, 2, 3], [3, 1]);
        var e = col.Expand(3, 4);
        Assert.Equal(new long[] { 3, 4 }, e.Shape);
        Assert.Equal(new[] { 1f, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 }, e.ToArray<float>());
        col.Mul_(10);
        Assert.Equal(new[] { 10f, 10, 10, 10, 20, 20, 20, 20, 30, 30, 30, 30 }, e.ToArray<float>());
        Assert.Equal(new long[] { 2, 3, 4 }, col.Expand(2, -1, 4).Shape);
    }

    [Fact]
    public void Flatten_Ranges_MergeDims()
    {
        using var scope = new DisposeScope();
        var z = Tensor.Zeros(2, 3, 4);
        Assert.Equal(new long[] { 24 }, z.Flatten().Shape);
        Assert.Equal(new long[] { 2, 12 }, z.Flatten(1).Shape);
        Assert.Equal(new long[] { 6, 4 }, z.Flatten(0, 1).Shape);
        var m = Tensor.Arange(6).Reshape(2, 3).MT;
        Assert.Equal(new long[] { 0, 3, 1, 4, 2, 5 }, m.Flatten().ToArray<long>());
    }

    [Fact]
    public void Contiguous_TransposedAndAlreadyContiguous_CopyOrSameStorage()
    {
        using var scope = new DisposeScope();
        var a = Tensor.Arange(6).Reshape(2, 3);
        Assert.True(a.IsContiguous);
        var c = a.MT.Contiguous();
        Assert.True(c.IsContiguous);
        Assert.Equal(new long[] { 3, 2 }, c.Shape);
        Assert.Equal(new long[] { 0, 3, 1, 4, 2, 5 }, c.ToArray<long>());
        var same = a.Contiguous();
        same.Add_(1);
        Assert.Equal(Seq(1, 6), a.ToArray<long>());
    }

    [Fact]
    public void Cat_AlongDims_Concatenates()
    {
        using var scope = new DisposeScope();
        Assert.Equal(new[] { 1f, 2f, 3f }, Tensor.Cat([Tensor.From(1f, 2f), Tensor.From(3f)]).ToArray<float>());
        var left = Tensor.From<float>([1, 2], [2, 1]);
        var right = Tensor.From<float>([3, 4, 5, 6], [2, 2]);
        var c = Tensor.Cat([left, right], 1);
        Assert.Equal(new long[] { 2, 3 }, c.Shape);
        Assert.Equal(new[] { 1f, 3f, 4f, 2f, 5f, 6f }, c.ToArray<float>());
    }

    [Fact]
    public void Stack_AlongNewDim_InterleavesOrAppends()
    {
        using var scope = new DisposeScope();
        var a = Tensor.From(1f, 2f);
        var b = Tensor.From(3f, 4f);
        var s0 = Tensor.Stack([a, b]);
        var s1 = Tensor.Stack([a, b], 1);
        Assert.Equal(new long[] { 2, 2 }, s0.Shape);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, s0.ToArray<float>());
        Assert.Equal(new[] { 1f, 3f, 2f, 4f }, s1.ToArray<float>());
    }

    [Fact]
    public void Split_SizeNotDividing_LastPieceSmaller()
    {
        using var scope = new DisposeScope();
        var parts = Tensor.Arange(7).Split(3);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new long[] { 0, 1, 2 }, parts[0].ToArray<long>());
        Assert.Equal(new long[] { 3, 4, 5 }, parts[1].ToArray<long>());
        Assert.Equal(new long[] { 6 }, parts[2].ToArray<long>());
        var cols = Tensor.Arange(10).Reshape(2, 5).Split(2, 1);
        Assert.Equal(new long[] { 2, 1 }, cols[2].Shape);
        Assert.Equal(new long[] { 4, 9 }, cols[2].ToArray<long>());
    }

    [Fact]
    public void Split_Sizes_PiecesOfThoseSizes()
    {
        using var scope = new DisposeScope();
        var parts = Tensor.Arange(6).Split([1L, 2L, 3L]);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new long[] { 0 }, parts[0].ToArray<long>());
        Assert.Equal(new long[] { 1, 2 }, parts[1].ToArray<long>());
        Assert.Equal(new long[] { 3, 4, 5 }, parts[2].ToArray<long>());
    }

    [Fact]
    public void Chunk_MoreChunksThanFit_ReturnsFewerPieces()
    {
        using var scope = new DisposeScope();
        var six = Tensor.Arange(6).Chunk(4);
        Assert.Equal(3, six.Length);
        Assert.All(six, p => Assert.Equal(new long[] { 2 }, p.Shape));
        var five = Tensor.Arange(5).Chunk(2);
        Assert.Equal(new long[] { 0, 1, 2 }, five[0].ToArray<long>());
        Assert.Equal(new long[] { 3, 4 }, five[1].ToArray<long>());
    }

    [Fact]
    public void SplitAndChunk_MoreThanSixteenPieces_AllReturnedInOrder()
    {
        using var scope = new DisposeScope();
        var src = Tensor.Arange(40);
        var pairs = src.Split(2);
        Assert.Equal(20, pairs.Length);
        for (var i = 0; i < 20; i++) Assert.Equal(new long[] { 2 * i, (2 * i) + 1 }, pairs[i].ToArray<long>());
        var sizes = Enumerable.Repeat(2L, 20).ToArray();
        Assert.Equal(20, src.Split(sizes).Length);
        var chunks = src.Chunk(40);
        Assert.Equal(40, chunks.Length);
        Assert.Equal(39L, chunks[39].ToInt64());
        pairs[19].Fill_(-1);
        Assert.Equal(-1L, src[39].ToInt64());
    }
}
