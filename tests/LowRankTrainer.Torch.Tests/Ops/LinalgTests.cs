namespace LowRankTrainer.Torch.Tests.Ops;

public class LinalgTests
{
    private static readonly double[] A23 = [1, 2, 3, 4, 5, 6];
    private static readonly double[] B32 = [7, 8, 9, 10, 11, 12];

    [Fact]
    public void MatMul_TwoByThreeTimesThreeByTwo_HandProduct()
    {
        using var scope = new DisposeScope();
        var a = Tensor.From<double>(A23, [2, 3]);
        var b = Tensor.From<double>(B32, [3, 2]);
        var c = a.MatMul(b);
        Assert.Equal(new long[] { 2, 2 }, c.Shape);
        Assert.Equal(new[] { 58.0, 64, 139, 154 }, c.ToArray<double>());
        Assert.Equal(new[] { 58.0, 64, 139, 154 }, a.Mm(b).ToArray<double>());
    }

    [Fact]
    public void MatMul_BatchTimesMatrix_BroadcastsOverBatch()
    {
        using var scope = new DisposeScope();
        double[] batch = [.. A23, .. B32];
        var a = Tensor.From<double>(batch, [2, 2, 3]);
        var b = Tensor.From<double>(B32, [3, 2]);
        var c = a.MatMul(b);
        Assert.Equal(new long[] { 2, 2, 2 }, c.Shape);
        double[] expected = [.. Expect.MatMul(A23, B32, 2, 3, 2), .. Expect.MatMul(B32, B32, 2, 3, 2)];
        Assert.Equal(expected, c.ToArray<double>());
    }

    [Fact]
    public void MatMul_MatrixVectorAndVectorVector_DropVectorDims()
    {
        using var scope = new DisposeScope();
        var a = Tensor.From<double>(A23, [2, 3]);
        var v = Tensor.From(1.0, 0.0, -1.0);
        var mv = a.MatMul(v);
        Assert.Equal(new long[] { 2 }, mv.Shape);
        Assert.Equal(new[] { -2.0, -2.0 }, mv.ToArray<double>());
        var dot = v.MatMul(v);
        Assert.Equal(0, dot.Rank);
        Assert.Equal(2.0, dot.ToDouble());
    }

    [Fact]
    public void Bmm_TwoBatches_PerBatchProducts()
    {
        using var scope = new DisposeScope();
        double[] left = [.. A23, .. B32];
        double[] right = [.. B32, .. A23];
        var c = Tensor.From<double>(left, [2, 2, 3]).Bmm(Tensor.From<double>(right, [2, 3, 2]));
        double[] expected = [.. Expect.MatMul(A23, B32, 2, 3, 2), .. Expect.MatMul(B32, A23, 2, 3, 2)];
        Assert.Equal(expected, c.ToArray<double>());
    }

    [Fact]
    public void Outer_TwoVectors_AllPairwiseProducts()
    {
        using var scope = new DisposeScope();
        var o = Tensor.From(1f, 2f).Outer(Tensor.From(3f, 4f, 5f));
        Assert.Equal(new long[] { 2, 3 }, o.Shape);
        Assert.Equal(new[] { 3f, 4f, 5f, 6f, 8f, 10f }, o.ToArray<float>());
    }

    [Fact]
    public void Linear_WithAndWithoutBias_XTimesWTransposedPlusB()
    {
        using var scope = new DisposeScope();
        double[] w = [1, 0, -1, 2, 1, 0, 0, 0, 1, -1, -1, -1];
        double[] bias = [0.5, -0.5, 1, 2];
        var x = Tensor.From<double>(A23, [2, 3]);
        var wt = Tensor.From<double>(w, [4, 3]);
        var noBias = Tensor.Linear(x, wt);
        var xw = Expect.MatMul(A23, Expect.Transpose(w, 4, 3), 2, 3, 4);
        Assert.Equal(new long[] { 2, 4 }, noBias.Shape);
        Assert.Equal(xw, noBias.ToArray<double>());
        var withBias = Tensor.Linear(x, wt, Tensor.From(bias));
        Assert.Equal(xw.Select((v, i) => v + bias[i % 4]).ToArray(), withBias.ToArray<double>());
    }

    [Fact]
    public void Einsum_MatmulBatchTransposeTrace_MatchLoops()
    {
        using var scope = new DisposeScope();
        var a = Tensor.From<double>(A23, [2, 3]);
        var b = Tensor.From<double>(B32, [3, 2]);
        Assert.Equal(Expect.MatMul(A23, B32, 2, 3, 2), Tensor.Einsum("ij,jk->ik", a, b).ToArray<double>());
        var batch = Tensor.From<double>([.. A23, .. B32], [2, 2, 3]);
        var bt = Tensor.Einsum("bij->bji", batch);
        Assert.Equal(new long[] { 2, 3, 2 }, bt.Shape);
        double[] expected = [.. Expect.Transpose(A23, 2, 3), .. Expect.Transpose(B32, 2, 3)];
        Assert.Equal(expected, bt.ToArray<double>());
        var trace = Tensor.Einsum("ii->", Tensor.From<double>([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]));
        Assert.Equal(0, trace.Rank);
        Assert.Equal(15.0, trace.ToDouble());
    }

    [Fact]
    public void Solve_TwoByTwoSystem_KnownSolution()
    {
        using var scope = new DisposeScope();
        var a = Tensor.From<double>([3, 1, 1, 2], [2, 2]);
        var x = Linalg.Solve(a, Tensor.From<double>([9, 8], [2, 1]));
        Expect.Close([2, 3], x.ToArray<double>(), 1e-12);
        var xs = Linalg.Solve(a, Tensor.From<double>([9, 4, 8, 3], [2, 2]));
        Expect.Close([2, 1, 3, 1], xs.ToArray<double>(), 1e-12);
    }

    [Fact]
    public void Inv_TwoByTwo_AdjugateOverDeterminant()
    {
        using var scope = new DisposeScope();
        var inv = Linalg.Inv(Tensor.From<double>([4, 7, 2, 6], [2, 2]));
        Expect.Close([0.6, -0.7, -0.2, 0.4], inv.ToArray<double>(), 1e-12);
    }

    [Fact]
    public void Svd_KnownSingularValues_DescendingAndReconstructs()
    {
        using var scope = new DisposeScope();
        // AᵀA = [[25, 20], [20, 25]]: eigenvalues 45 and 5, so σ = 3√5 and √5.
        double[] a = [3, 0, 4, 5];
        var (u, s, vh) = Linalg.Svd(Tensor.From<double>(a, [2, 2]));
        var sv = s.ToArray<double>();
        Expect.Close([3 * Math.Sqrt(5), Math.Sqrt(5)], sv, 1e-12);
        var uv = u.ToArray<double>();
        Expect.OrthonormalColumns(uv, 2, 2);
        var us = new double[4];
        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 2; j++) us[(i * 2) + j] = uv[(i * 2) + j] * sv[j];
        }
        Expect.Close(a, Expect.MatMul(us, vh.ToArray<double>(), 2, 2, 2), 1e-12);
    }

    [Fact]
    public void Svd_DiagonalTallMatrix_ReducedAndFullShapes()
    {
        using var scope = new DisposeScope();
        var a = Tensor.From<double>([2, 0, 0, -5, 0, 0], [3, 2]);
        var (u, s, vh) = Linalg.Svd(a);
        Assert.Equal(new long[] { 3, 2 }, u.Shape);
        Assert.Equal(new long[] { 2, 2 }, vh.Shape);
        Expect.Close([5, 2], s.ToArray<double>(), 1e-12);
        Expect.OrthonormalColumns(u.ToArray<double>(), 3, 2);
        var (uf, sf, vhf) = Linalg.Svd(a, fullMatrices: true);
        Assert.Equal(new long[] { 3, 3 }, uf.Shape);
        Assert.Equal(new long[] { 2 }, sf.Shape);
        Assert.Equal(new long[] { 2, 2 }, vhf.Shape);
        Expect.OrthonormalColumns(uf.ToArray<double>(), 3, 3);
    }

    [Fact]
    public void Qr_TallMatrix_OrthonormalQUpperRProductIsA()
    {
        using var scope = new DisposeScope();
        double[] a = [1, 2, 3, 4, 5, 6];
        var (q, r) = Linalg.Qr(Tensor.From<double>(a, [3, 2]));
        Assert.Equal(new long[] { 3, 2 }, q.Shape);
        Assert.Equal(new long[] { 2, 2 }, r.Shape);
        var qv = q.ToArray<double>();
        var rv = r.ToArray<double>();
        Expect.OrthonormalColumns(qv, 3, 2);
        Assert.Equal(0.0, rv[2]);
        Expect.Close(a, Expect.MatMul(qv, rv, 3, 2, 2), 1e-12);
        // |R00| is the norm of A's first column.
        Assert.Equal(Math.Sqrt(35), Math.Abs(rv[0]), 12);
    }

    [Fact]
    public void Qr_Complete_SquareQAndZeroPaddedR()
    {
        using var scope = new DisposeScope();
        double[] a = [1, 2, 3, 4, 5, 6];
        var (q, r) = Linalg.Qr(Tensor.From<double>(a, [3, 2]), complete: true);
        Assert.Equal(new long[] { 3, 3 }, q.Shape);
        Assert.Equal(new long[] { 3, 2 }, r.Shape);
        var rv = r.ToArray<double>();
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, new[] { rv[2], rv[4], rv[5] });
        var qv = q.ToArray<double>();
        Expect.OrthonormalColumns(qv, 3, 3);
        Expect.Close(a, Expect.MatMul(qv, rv, 3, 3, 2), 1e-12);
    }

    [Fact]
    public void Eigh_SymmetricTwoByTwo_EigenvaluesOneAndThreeAscending()
    {
        using var scope = new DisposeScope();
        double[] a = [2, 1, 1, 2];
        var (l, v) = Linalg.Eigh(Tensor.From<double>(a, [2, 2]));
        var lv = l.ToArray<double>();
        Expect.Close([1, 3], lv, 1e-12);
        var vv = v.ToArray<double>();
        Expect.OrthonormalColumns(vv, 2, 2);
        var av = Expect.MatMul(a, vv, 2, 2, 2);
        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 2; j++) Assert.Equal(lv[j] * vv[(i * 2) + j], av[(i * 2) + j], 12);
        }
        Assert.Equal(1 / Math.Sqrt(2), Math.Abs(vv[0]), 12);
    }

    [Fact]
    public void Eigh_Diagonal_SortedDiagonal()
    {
        using var scope = new DisposeScope();
        var (l, _) = Linalg.Eigh(Tensor.From<double>([3, 0, 0, 0, 1, 0, 0, 0, 2], [3, 3]));
        Expect.Close([1, 2, 3], l.ToArray<double>(), 1e-12);
    }
}
