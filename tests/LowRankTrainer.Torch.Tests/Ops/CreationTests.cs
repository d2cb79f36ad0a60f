namespace LowRankTrainer.Torch.Tests.Ops;

public class CreationTests
{
    [Fact]
    public void Zeros_Shape_Float32ZerosOfThatShape()
    {
        using var t = Tensor.Zeros(2, 3);
        Assert.Equal(new long[] { 2, 3 }, t.Shape);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(new float[6], t.ToArray<float>());
    }

    [Fact]
    public void Ones_Int64Dtype_AllOnes()
    {
        using var t = Tensor.Ones([4], DType.Int64);
        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal(new long[] { 1, 1, 1, 1 }, t.ToArray<long>());
    }

    [Fact]
    public void Full_FloatAndIntValue_EveryElementEqualsValue()
    {
        using var f = Tensor.Full([2, 2], 2.5);
        using var i = Tensor.Full([3], 7L, DType.Int64);
        Assert.Equal(new[] { 2.5f, 2.5f, 2.5f, 2.5f }, f.ToArray<float>());
        Assert.Equal(new long[] { 7, 7, 7 }, i.ToArray<long>());
    }

    [Fact]
    public void Empty_ShapeAndDtype_HasThatShapeAndDtype()
    {
        using var a = Tensor.Empty(3, 4);
        using var b = Tensor.Empty([2, 0, 5], DType.Float64);
        Assert.Equal(new long[] { 3, 4 }, a.Shape);
        Assert.Equal(DType.Float32, a.DType);
        Assert.Equal(12, a.NumEl);
        Assert.Equal(new long[] { 2, 0, 5 }, b.Shape);
        Assert.Equal(DType.Float64, b.DType);
        Assert.Equal(0, b.NumEl);
    }

    [Fact]
    public void Arange_End_Int64ZeroToEndExclusive()
    {
        using var t = Tensor.Arange(5);
        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, t.ToArray<long>());
    }

    [Fact]
    public void Arange_IntStep_StopsBeforeEnd()
    {
        using var t = Tensor.Arange(2L, 11L, 3L, DType.Int64);
        Assert.Equal(new long[] { 2, 5, 8 }, t.ToArray<long>());
    }

    [Fact]
    public void Arange_FloatStep_ExcludesEnd()
    {
        using var up = Tensor.Arange(0.0, 1.0, 0.25, DType.Float32);
        using var down = Tensor.Arange(3.0, 0.0, -1.0, DType.Float64);
        Assert.Equal(new[] { 0f, 0.25f, 0.5f, 0.75f }, up.ToArray<float>());
        Assert.Equal(new[] { 3.0, 2.0, 1.0 }, down.ToArray<double>());
    }

    [Fact]
    public void Linspace_Steps_EvenlySpacedInclusive()
    {
        using var a = Tensor.Linspace(0, 1, 5);
        using var b = Tensor.Linspace(-1, 1, 3, DType.Float64);
        using var one = Tensor.Linspace(3, 7, 1);
        Assert.Equal(new[] { 0f, 0.25f, 0.5f, 0.75f, 1f }, a.ToArray<float>());
        Assert.Equal(new[] { -1.0, 0.0, 1.0 }, b.ToArray<double>());
        Assert.Equal(new[] { 3f }, one.ToArray<float>());
    }

    [Fact]
    public void Eye_N_Identity()
    {
        using var t = Tensor.Eye(3);
        Assert.Equal(new long[] { 3, 3 }, t.Shape);
        var expected = new float[9];
        for (var i = 0; i < 3; i++) expected[(i * 3) + i] = 1;
        Assert.Equal(expected, t.ToArray<float>());
    }

    [Fact]
    public void Eye_NByM_OnesOnLeadingDiagonal()
    {
        using var wide = Tensor.Eye(2, 3);
        using var tall = Tensor.Eye(3, 2, DType.Int64);
        Assert.Equal(new long[] { 2, 3 }, wide.Shape);
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, wide.ToArray<float>());
        Assert.Equal(new long[] { 3, 2 }, tall.Shape);
        Assert.Equal(new long[] { 1, 0, 0, 1, 0, 0 }, tall.ToArray<long>());
    }

    private static void RoundTrip<T>(T[] data, DType expected) where T : unmanaged
    {
        using var t = Tensor.From<T>(data);
        Assert.Equal(expected, t.DType);
        Assert.Equal(new long[] { data.Length }, t.Shape);
        Assert.Equal(data, t.ToArray<T>());
    }

    [Fact]
    public void From_Float_RoundTripsExactly() =>
        RoundTrip(new[] { 1.5f, -0f, float.MaxValue, float.Epsilon, float.NegativeInfinity }, DType.Float32);

    [Fact]
    public void From_Double_RoundTripsExactly() =>
        RoundTrip(new[] { Math.PI, -1e300, double.Epsilon, 0.1 }, DType.Float64);

    [Fact]
    public void From_Long_RoundTripsExactly() =>
        RoundTrip(new[] { long.MinValue, -1L, 0L, long.MaxValue }, DType.Int64);

    [Fact]
    public void From_Int_RoundTripsExactly() =>
        RoundTrip(new[] { int.MinValue, 7, int.MaxValue }, DType.Int32);

    [Fact]
    public void From_Bool_RoundTripsExactly() =>
        RoundTrip(new[] { true, false, false, true }, DType.Bool);

    [Fact]
    public void From_Byte_RoundTripsExactly() =>
        RoundTrip(new byte[] { 0, 1, 128, 255 }, DType.UInt8);

    [Fact]
    public void From_Half_RoundTripsExactly() =>
        RoundTrip(new[] { (Half)1.5, (Half)(-0.25), Half.MaxValue, Half.Epsilon }, DType.Float16);

    [Fact]
    public void From_BFloat16_RoundTripsBits() =>
        RoundTrip(new[] { BFloat16.FromBits(0x3F80), BFloat16.FromBits(0xC049), BFloat16.FromBits(0x7F7F), BFloat16.FromBits(0x0001) }, DType.BFloat16);

    [Fact]
    public void From_DataAndShape_RowMajorLayout()
    {
        using var t = Tensor.From<int>([1, 2, 3, 4, 5, 6], [2, 3]);
        Assert.Equal(new long[] { 2, 3 }, t.Shape);
        using var row = t.Select(0, 1);
        Assert.Equal(new[] { 4, 5, 6 }, row.ToArray<int>());
    }

    [Fact]
    public void ScalarTensor_Value_ZeroDimWithThatValue()
    {
        using var f = Tensor.ScalarTensor(2.5);
        using var i = Tensor.ScalarTensor(3, DType.Int64);
        Assert.Equal(0, f.Rank);
        Assert.Empty(f.Shape);
        Assert.Equal(1, f.NumEl);
        Assert.Equal(2.5, f.ToDouble());
        Assert.Equal(DType.Int64, i.DType);
        Assert.Equal(3L, i.ToInt64());
    }

    [Fact]
    public void ZerosLikeOnesLike_IntMatrix_KeepShapeAndDtype()
    {
        using var src = Tensor.From<long>([5, 6, 7, 8, 9, 10], [3, 2]);
        using var z = src.ZerosLike();
        using var o = src.OnesLike();
        Assert.Equal(new long[] { 3, 2 }, z.Shape);
        Assert.Equal(DType.Int64, z.DType);
        Assert.Equal(new long[6], z.ToArray<long>());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1 }, o.ToArray<long>());
    }

    [Fact]
    public void ShapeRankNumElSize_ThreeDims_ConsistentAndNegativeDimCounts()
    {
        using var t = Tensor.Zeros(2, 3, 4);
        Assert.Equal(3, t.Rank);
        Assert.Equal(24, t.NumEl);
        Assert.Equal(4, t.Size(-1));
        Assert.Equal(2, t.Size(-3));
        Assert.Equal(3, t.Size(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Size(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Size(-4));
    }

    [Fact]
    public void Shape_MutatingReturnedArray_DoesNotChangeTensor()
    {
        using var t = Tensor.Zeros(2, 3);
        var s = t.Shape;
        s[0] = 99;
        Assert.Equal(new long[] { 2, 3 }, t.Shape);
    }

    [Fact]
    public void To_FloatToInt64_TruncatesTowardZero()
    {
        using var f = Tensor.From(1.7f, -1.7f, 2.5f, -2.5f, 0.9f);
        using var i = f.To(DType.Int64);
        Assert.Equal(new long[] { 1, -1, 2, -2, 0 }, i.ToArray<long>());
    }

    [Fact]
    public void To_FloatToBFloat16_RoundsToNearestEvenLikeStructAndHandBits()
    {
        // bits of the float32 inputs: 0x3F808000 (tie, even down), 0x3F818000 (tie, odd up),
        // 0x3F80C000 (above half, up), 0x40490FD0 (below half, down), 0xC0000000, +inf.
        float[] values = [1.00390625f, 1.01171875f, 1.005859375f, 3.14159f, -2f, float.PositiveInfinity];
        ushort[] handBits = [0x3F80, 0x3F82, 0x3F81, 0x4049, 0xC000, 0x7F80];
        using var f = Tensor.From(values);
        using var b = f.To(DType.BFloat16);
        Assert.Equal(DType.BFloat16, b.DType);
        var bits = Array.ConvertAll(b.ToArray<BFloat16>(), v => v.Bits);
        Assert.Equal(handBits, bits);
        Assert.Equal(Array.ConvertAll(values, v => ((BFloat16)v).Bits), bits);
    }

    [Fact]
    public void To_BFloat16ToFloat_WidensExactly()
    {
        using var b = Tensor.From(BFloat16.FromBits(0x3FC0), BFloat16.FromBits(0xC120), BFloat16.FromBits(0x3F81));
        using var f = b.To(DType.Float32);
        Assert.Equal(new[] { 1.5f, -10f, 1.0078125f }, f.ToArray<float>());
    }

    [Fact]
    public void To_FloatToBoolAndBack_NonzeroIsTrue()
    {
        using var f = Tensor.From(0f, 0.1f, -2f, -0f);
        using var b = f.To(DType.Bool);
        using var back = b.To(DType.Float32);
        Assert.Equal(new[] { false, true, true, false }, b.ToArray<bool>());
        Assert.Equal(new[] { 0f, 1f, 1f, 0f }, back.ToArray<float>());
    }

    [Fact]
    public void Clone_MutatingClone_LeavesOriginal()
    {
        using var a = Tensor.From(1f, 2f, 3f);
        using var c = a.Clone();
        c.Fill_(9);
        Assert.Equal(new[] { 1f, 2f, 3f }, a.ToArray<float>());
        Assert.Equal(new[] { 9f, 9f, 9f }, c.ToArray<float>());
    }

    [Fact]
    public void Alias_MutatingAlias_ChangesOriginalAndOutlivesDispose()
    {
        using var a = Tensor.From(1f, 2f, 3f);
        var b = a.Alias();
        b.Add_(10);
        b.Dispose();
        Assert.Equal(new[] { 11f, 12f, 13f }, a.ToArray<float>());
    }

    [Fact]
    public void ItemAccessors_OneElement_ReturnValue()
    {
        using var d = Tensor.ScalarTensor(2.5, DType.Float64);
        using var l = Tensor.From(42L);
        using var t = Tensor.From(true);
        using var f = Tensor.From(false);
        Assert.Equal(2.5, d.ToDouble());
        Assert.Equal(2.5f, d.ToSingle());
        Assert.Equal(42L, l.ToInt64());
        Assert.True(t.ToBoolean());
        Assert.False(f.ToBoolean());
    }

    [Fact]
    public void CopyTo_ExactLength_CopiesRowMajor()
    {
        using var t = Tensor.From<float>([1, 2, 3, 4], [2, 2]);
        using var tt = t.MT;
        var dst = new float[4];
        tt.CopyTo<float>(dst);
        Assert.Equal(new[] { 1f, 3f, 2f, 4f }, dst);
    }

    [Fact]
    public void CopyTo_WrongLength_ThrowsNamingByteCounts()
    {
        using var t = Tensor.Zeros(3);
        var ex = Assert.Throws<TorchException>(() => t.CopyTo<float>(new float[2]));
        Assert.Contains("12 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CopyTo_ElementTypeNotMatchingDtype_Throws()
    {
        using var t = Tensor.From(1f, 2f, 3f, 4f);
        Assert.Throws<InvalidOperationException>(() => t.CopyTo<double>(new double[2]));
    }

    [Fact]
    public void Eye_NegativeColumnCount_Throws()
    {
        Assert.Throws<TorchException>(() => Tensor.Eye(2, -3));
    }

    [Fact]
    public void ToBoolean_FractionalValue_IsTrueLikePythonBool()
    {
        using var half = Tensor.ScalarTensor(0.5);
        using var zero = Tensor.ScalarTensor(0.0);
        Assert.True(half.ToBoolean());
        Assert.False(zero.ToBoolean());
    }
}
