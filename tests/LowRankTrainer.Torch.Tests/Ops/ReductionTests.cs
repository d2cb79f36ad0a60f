namespace LowRankTrainer.Torch.Tests.Ops;

public class ReductionTests
{
    // [[1, 2, 3], [4, 5, 6]]
    private static Tensor M() => Tensor.From<float>([1, 2, 3, 4, 5, 6], [2, 3]);

    // [[3, 7, 5], [9, 1, 2]]
    private static Tensor Y() => Tensor.From<float>([3, 7, 5, 9, 1, 2], [2, 3]);

    [Fact]
    public void Sum_AllAndOverDims_HandTotals()
    {
        using var scope = new DisposeScope();
        var m = M();
        var all = m.Sum();
        Assert.Empty(all.Shape);
        Assert.Equal(21.0, all.ToDouble());
        Assert.Equal(new[] { 5f, 7f, 9f }, m.Sum(0).ToArray<float>());
        var rows = m.Sum(1, keepDim: true);
        Assert.Equal(new long[] { 2, 1 }, rows.Shape);
        Assert.Equal(new[] { 6f, 15f }, rows.ToArray<float>());
        var both = m.Sum([0, 1]);
        Assert.Empty(both.Shape);
        Assert.Equal(21.0, both.ToDouble());
        Assert.Equal(new[] { 6f, 15f }, m.Sum(-1).ToArray<float>());
    }

    [Fact]
    public void Sum_Int32_PromotesToInt64()
    {
        using var t = Tensor.From(1, 2, int.MaxValue);
        using var s = t.Sum();
        Assert.Equal(DType.Int64, s.DType);
        Assert.Equal(3L + int.MaxValue, s.ToInt64());
    }

    [Fact]
    public void Mean_AllAndOverDims_HandMeans()
    {
        using var scope = new DisposeScope();
        var m = M();
        Assert.Equal(3.5, m.Mean().ToDouble());
        Assert.Equal(new[] { 2f, 5f }, m.Mean(1).ToArray<float>());
        var cols = m.Mean(0, keepDim: true);
        Assert.Equal(new long[] { 1, 3 }, cols.Shape);
        Assert.Equal(new[] { 2.5f, 3.5f, 4.5f }, cols.ToArray<float>());
    }

    [Fact]
    public void MaxMinProd_All_HandValues()
    {
        using var scope = new DisposeScope();
        var m = M();
        Assert.Equal(6.0, m.Max().ToDouble());
        Assert.Equal(1.0, m.Min().ToDouble());
        Assert.Equal(720.0, m.Prod().ToDouble());
        Assert.Equal(-9.0, Tensor.From(2f, -1.5f, 3f).Prod().ToDouble());
    }

    [Fact]
    public void MaxMin_OverDim_ValuesAndInt64Indices()
    {
        using var scope = new DisposeScope();
        var y = Y();
        var (maxV, maxI) = y.Max(1);
        Assert.Equal(new[] { 7f, 9f }, maxV.ToArray<float>());
        Assert.Equal(DType.Int64, maxI.DType);
        Assert.Equal(new long[] { 1, 0 }, maxI.ToArray<long>());
        var (minV, minI) = y.Min(0);
        Assert.Equal(new[] { 3f, 1f, 2f }, minV.ToArray<float>());
        Assert.Equal(new long[] { 0, 1, 1 }, minI.ToArray<long>());
        var (kv, ki) = y.Max(-1, keepDim: true);
        Assert.Equal(new long[] { 2, 1 }, kv.Shape);
        Assert.Equal(new long[] { 2, 1 }, ki.Shape);
    }

    [Fact]
    public void ArgMaxArgMin_OverDimAndFlattened_HandIndices()
    {
        using var scope = new DisposeScope();
        var y = Y();
        Assert.Equal(new long[] { 1, 0 }, y.ArgMax(1).ToArray<long>());
        Assert.Equal(new long[] { 0, 1 }, y.ArgMin(1).ToArray<long>());
        Assert.Equal(new long[] { 1, 0, 0 }, y.ArgMax(0).ToArray<long>());
        Assert.Equal(new long[] { 1, 3 }, y.ArgMin(0, keepDim: true).Shape);
        var flat = y.ArgMax();
        Assert.Empty(flat.Shape);
        Assert.Equal(3L, flat.ToInt64());
    }

    [Fact]
    public void LogSumExp_VectorAndLargeValues_StableClosedForm()
    {
        using var scope = new DisposeScope();
        var v = Tensor.From(1.0, 2.0, 3.0);
        Assert.Equal(Math.Log(Math.E + (Math.E * Math.E) + Math.Exp(3)), v.LogSumExp([0]).ToDouble(), 12);
        Assert.Equal(Math.Log(Math.E + (Math.E * Math.E) + Math.Exp(3)), v.LogSumExp([]).ToDouble(), 12);
        var big = Tensor.From(1000f, 1000f);
        Assert.Equal(1000 + Math.Log(2), big.LogSumExp([0]).ToDouble(), 3);
    }

    [Fact]
    public void LogSumExp_OverDimKeepDim_PerRow()
    {
        using var t = Tensor.From<double>([0, 0, 1, 2], [2, 2]);
        using var r = t.LogSumExp([1], keepDim: true);
        Assert.Equal(new long[] { 2, 1 }, r.Shape);
        Expect.Close([Math.Log(2), Math.Log(Math.E + Math.Exp(2))], r.ToArray<double>(), 1e-12);
    }

    [Fact]
    public void Norm_P1P2AllElements_HandValues()
    {
        using var scope = new DisposeScope();
        var v = Tensor.From(3f, -4f);
        Assert.Equal(5.0, v.Norm().ToDouble(), 6);
        Assert.Equal(7.0, v.Norm(1).ToDouble(), 6);
        var m = Tensor.From<double>([1, 2, 3, 4], [2, 2]);
        Assert.Equal(Math.Sqrt(30), m.Norm().ToDouble(), 12);
    }

    [Fact]
    public void Norm_OverDims_PerRowAndColumn()
    {
        using var scope = new DisposeScope();
        var m = Tensor.From<double>([1, 2, 3, 4], [2, 2]);
        Expect.Close([Math.Sqrt(5), 5], m.Norm(2, [1]).ToArray<double>(), 1e-12);
        Expect.Close([4, 6], m.Norm(1, [0]).ToArray<double>(), 1e-12);
        Assert.Equal(new long[] { 2, 1 }, m.Norm(2, [1], keepDim: true).Shape);
    }

    private static (double Unbiased, double Biased) Variance(double[] x)
    {
        var mean = x.Average();
        var ss = x.Sum(v => (v - mean) * (v - mean));
        return (ss / (x.Length - 1), ss / x.Length);
    }

    [Fact]
    public void VarStd_AllElements_UnbiasedAndBiased()
    {
        using var scope = new DisposeScope();
        double[] x = [1, 2, 3, 4, 10];
        var (unbiased, biased) = Variance(x);
        var t = Tensor.From(x);
        Assert.Equal(unbiased, t.Var().ToDouble(), 12);
        Assert.Equal(biased, t.Var(unbiased: false).ToDouble(), 12);
        Assert.Equal(Math.Sqrt(unbiased), t.Std().ToDouble(), 12);
        Assert.Equal(Math.Sqrt(biased), t.Std(unbiased: false).ToDouble(), 12);
        Assert.Equal(5.0 / 3, Tensor.From(1f, 2f, 3f, 4f).Var().ToDouble(), 6);
    }

    [Fact]
    public void VarStd_OverDim_PerRowWithKeepDimShape()
    {
        using var scope = new DisposeScope();
        double[] r0 = [1, 2, 3, 4];
        double[] r1 = [2, 4, 6, 9];
        var t = Tensor.From<double>([.. r0, .. r1], [2, 4]);
        Expect.Close([Variance(r0).Unbiased, Variance(r1).Unbiased], t.Var([1]).ToArray<double>(), 1e-12);
        Expect.Close([Variance(r0).Biased, Variance(r1).Biased], t.Var([1], unbiased: false).ToArray<double>(), 1e-12);
        var std = t.Std([1], unbiased: false, keepDim: true);
        Assert.Equal(new long[] { 2, 1 }, std.Shape);
        Expect.Close([Math.Sqrt(Variance(r0).Biased), Math.Sqrt(Variance(r1).Biased)], std.ToArray<double>(), 1e-12);
        var cols = t.Var([0]);
        Expect.Close([0.5, 2, 4.5, 12.5], cols.ToArray<double>(), 1e-12);
    }

    [Fact]
    public void AnyAll_MixedZeroAndNonzero_BoolScalars()
    {
        using var scope = new DisposeScope();
        var mixed = Tensor.From(0f, 0f, 1f);
        var none = Tensor.From(0L, 0L);
        var every = Tensor.From(true, true);
        Assert.True(mixed.Any().ToBoolean());
        Assert.False(mixed.All().ToBoolean());
        Assert.False(none.Any().ToBoolean());
        Assert.True(every.All().ToBoolean());
        Assert.Equal(DType.Bool, mixed.Any().DType);
    }

    [Fact]
    public void CumSum_VectorAndMatrixDims_RunningTotals()
    {
        using var scope = new DisposeScope();
        var v = Tensor.From(1L, 2L, 3L, 4L);
        var cv = v.CumSum(0);
        Assert.Equal(DType.Int64, cv.DType);
        Assert.Equal(new long[] { 1, 3, 6, 10 }, cv.ToArray<long>());
        var m = Tensor.From<float>([1, 2, 3, 4], [2, 2]);
        Assert.Equal(new[] { 1f, 3f, 3f, 7f }, m.CumSum(1).ToArray<float>());
        Assert.Equal(new[] { 1f, 2f, 4f, 6f }, m.CumSum(0).ToArray<float>());
    }
}
