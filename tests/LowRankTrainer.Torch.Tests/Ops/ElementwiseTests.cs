namespace LowRankTrainer.Torch.Tests.Ops;

public class ElementwiseTests
{
    private static readonly double[] Xs = [-2.5, -1, -0.3, 0, 0.4, 1, 2.7];

    /// <summary>Applies a unary op to Xs (float64) and compares with f applied in C#.</summary>
    private static void Unary(Func<Tensor, Tensor> op, Func<double, double> f, double[]? xs = null, double tol = 1e-12)
    {
        xs ??= Xs;
        using var x = Tensor.From(xs);
        using var y = op(x);
        Assert.Equal(DType.Float64, y.DType);
        Expect.Close(Array.ConvertAll(xs, v => f(v)), y.ToArray<double>(), tol, tol);
    }

    [Fact]
    public void AddSub_WithAlpha_ScalesOther()
    {
        using var a = Tensor.From(1f, 2f, 3f);
        using var b = Tensor.From(10f, 20f, 30f);
        using var add = a.Add(b, 2);
        using var sub = a.Sub(b, 0.5);
        Assert.Equal(new[] { 21f, 42f, 63f }, add.ToArray<float>());
        Assert.Equal(new[] { -4f, -8f, -12f }, sub.ToArray<float>());
    }

    [Fact]
    public void BinaryTensorOps_TwoVectors_ElementwiseResults()
    {
        using var a = Tensor.From(1f, -2f, 3f, 4f);
        using var b = Tensor.From(2f, 4f, -1f, 0.5f);
        using var mul = a.Mul(b);
        using var div = a.Div(b);
        using var max = a.Maximum(b);
        using var min = a.Minimum(b);
        Assert.Equal(new[] { 2f, -8f, -3f, 2f }, mul.ToArray<float>());
        Assert.Equal(new[] { 0.5f, -0.5f, -3f, 8f }, div.ToArray<float>());
        Assert.Equal(new[] { 2f, 4f, 3f, 4f }, max.ToArray<float>());
        Assert.Equal(new[] { 1f, -2f, -1f, 0.5f }, min.ToArray<float>());
    }

    [Fact]
    public void Pow_TensorAndScalarExponent_Powers()
    {
        using var a = Tensor.From(2.0, 3.0, 4.0);
        using var e = Tensor.From(3.0, 2.0, 0.5);
        using var p = a.Pow(e);
        using var s = a.Pow(-1);
        Assert.Equal(new[] { 8.0, 9.0, 2.0 }, p.ToArray<double>());
        Assert.Equal(new[] { 0.5, 1 / 3.0, 0.25 }, s.ToArray<double>());
    }

    [Fact]
    public void Operators_ScalarOnEitherSide_PyTorchMeaning()
    {
        using var scope = new DisposeScope();
        var t = Tensor.From(1f, 2f, 4f);
        Assert.Equal(new[] { 3f, 4f, 6f }, (t + 2).ToArray<float>());
        Assert.Equal(new[] { 3f, 4f, 6f }, (2 + t).ToArray<float>());
        Assert.Equal(new[] { -1f, 0f, 2f }, (t - 2).ToArray<float>());
        Assert.Equal(new[] { 1f, 0f, -2f }, (2 - t).ToArray<float>());
        Assert.Equal(new[] { 3f, 6f, 12f }, (t * 3).ToArray<float>());
        Assert.Equal(new[] { 3f, 6f, 12f }, (3 * t).ToArray<float>());
        Assert.Equal(new[] { 0.5f, 1f, 2f }, (t / 2).ToArray<float>());
        Assert.Equal(new[] { 2f, 1f, 0.5f }, (2 / t).ToArray<float>());
        Assert.Equal(new[] { -1f, -2f, -4f }, (-t).ToArray<float>());
        Assert.Equal(DType.Float32, (2.5 - t).DType);
    }

    [Fact]
    public void Operators_IntTensorAndIntScalar_StayInt64()
    {
        using var scope = new DisposeScope();
        var t = Tensor.From(1L, 4L);
        var plus = t + 2;
        var minus = 2 - t;
        var times = t * 3;
        Assert.Equal(DType.Int64, plus.DType);
        Assert.Equal(new long[] { 3, 6 }, plus.ToArray<long>());
        Assert.Equal(DType.Int64, minus.DType);
        Assert.Equal(new long[] { 1, -2 }, minus.ToArray<long>());
        Assert.Equal(new long[] { 3, 12 }, times.ToArray<long>());
    }

    [Fact]
    public void Operators_IntTensorWithFloatScalarOrDivision_PromoteToFloat32()
    {
        using var scope = new DisposeScope();
        var t = Tensor.From(1L, 4L);
        var plus = t + 2.5;
        var div = t / 2;
        var rdiv = 2 / t;
        Assert.Equal(DType.Float32, plus.DType);
        Assert.Equal(new[] { 3.5f, 6.5f }, plus.ToArray<float>());
        Assert.Equal(DType.Float32, div.DType);
        Assert.Equal(new[] { 0.5f, 2f }, div.ToArray<float>());
        Assert.Equal(DType.Float32, rdiv.DType);
        Assert.Equal(new[] { 2f, 0.5f }, rdiv.ToArray<float>());
    }

    [Fact]
    public void DivOperator_IntScalarOverSmallIntOrBoolTensor_UsesScalarValue()
    {
        using var scope = new DisposeScope();
        var bytes = Tensor.From<byte>(3, 5);
        var bools = Tensor.From(true, false);
        Assert.Equal(new[] { 100f, 60f }, (300 / bytes).ToArray<float>());
        Assert.Equal(new[] { 2f, float.PositiveInfinity }, (2 / bools).ToArray<float>());
    }

    [Fact]
    public void UnaryMath_Float64_MatchesMathLibrary()
    {
        double[] pos = [0.25, 1, 2, 9.5];
        Unary(t => t.Exp(), Math.Exp);
        Unary(t => t.Log(), Math.Log, pos);
        Unary(t => t.Sqrt(), Math.Sqrt, pos);
        Unary(t => t.Rsqrt(), v => 1 / Math.Sqrt(v), pos);
        Unary(t => t.Reciprocal(), v => 1 / v, [-4, 0.5, 3]);
        Unary(t => t.Abs(), Math.Abs);
        Unary(t => t.Sign(), v => Math.Sign(v));
        Unary(t => t.Square(), v => v * v);
        Unary(t => t.Sin(), Math.Sin);
        Unary(t => t.Cos(), Math.Cos);
        Unary(t => t.Tanh(), Math.Tanh);
        Unary(t => t.Neg(), v => -v);
    }

    [Fact]
    public void Activations_Float64_MatchClosedForms()
    {
        Unary(t => t.Sigmoid(), v => 1 / (1 + Math.Exp(-v)));
        Unary(t => t.Relu(), v => Math.Max(v, 0));
        Unary(t => t.Silu(), v => v / (1 + Math.Exp(-v)));
    }

    [Fact]
    public void Activations_Float32_MatchClosedFormsToSinglePrecision()
    {
        using var x = Tensor.From(-2.5f, -0.3f, 0f, 0.4f, 2.7f);
        using var sig = x.Sigmoid();
        using var tanh = x.Tanh();
        Expect.Close(Array.ConvertAll(x.ToArray<float>(), v => 1 / (1 + Math.Exp(-v))), sig.ToArray<float>(), 1e-6, 1e-6);
        Expect.Close(Array.ConvertAll(x.ToArray<float>(), v => Math.Tanh(v)), tanh.ToArray<float>(), 1e-6, 1e-6);
    }

    [Fact]
    public void Gelu_Exact_EqualsXTimesNormalCdf()
    {
        Assert.Equal(0.8427007929497149, Expect.Erf(1), 12);
        double[] xs = [-3, -1.5, -0.5, 0, 0.5, 1, 2, 3];
        Unary(t => t.Gelu(), v => v * 0.5 * (1 + Expect.Erf(v / Math.Sqrt(2))), xs, 1e-10);
    }

    [Fact]
    public void Gelu_TanhApproximation_EqualsTanhFormula()
    {
        double[] xs = [-3, -1.5, -0.5, 0, 0.5, 1, 2, 3];
        var k = Math.Sqrt(2 / Math.PI);
        Unary(t => t.Gelu(tanhApproximation: true), v => 0.5 * v * (1 + Math.Tanh(k * (v + (0.044715 * v * v * v)))), xs, 1e-10);
        // The two variants differ visibly at x = 1.5 (≈ 1.3998 vs 1.3996): the flag is honoured.
        using var x = Tensor.From(1.5);
        using var exact = x.Gelu();
        using var approx = x.Gelu(true);
        Assert.NotEqual(exact.ToDouble(), approx.ToDouble());
    }

    [Fact]
    public void Rounding_FloorCeilRound_RoundHalfToEven()
    {
        using var x = Tensor.From(0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.6f, -2.2f);
        using var floor = x.Floor();
        using var ceil = x.Ceil();
        using var round = x.Round();
        Assert.Equal(new[] { 0f, 1f, 2f, -1f, -2f, 2f, -3f }, floor.ToArray<float>());
        Assert.Equal(new[] { 1f, 2f, 3f, -0f, -1f, 3f, -2f }, ceil.ToArray<float>());
        Assert.Equal(new[] { 0f, 2f, 2f, -0f, -2f, 3f, -2f }, round.ToArray<float>());
    }

    [Fact]
    public void IsNanIsFinite_SpecialValues_BoolMasks()
    {
        using var x = Tensor.From(1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f);
        using var nan = x.IsNan();
        using var fin = x.IsFinite();
        Assert.Equal(DType.Bool, nan.DType);
        Assert.Equal(new[] { false, true, false, false, false }, nan.ToArray<bool>());
        Assert.Equal(new[] { true, false, false, false, true }, fin.ToArray<bool>());
    }

    [Fact]
    public void Clamp_MinOnlyMaxOnlyBoth_BoundsApplied()
    {
        using var x = Tensor.From(-3f, -1f, 0.5f, 2f, 5f);
        using var lo = x.Clamp(min: -1.5);
        using var hi = x.Clamp(max: 1);
        using var both = x.Clamp(-1, 2);
        Assert.Equal(new[] { -1.5f, -1f, 0.5f, 2f, 5f }, lo.ToArray<float>());
        Assert.Equal(new[] { -3f, -1f, 0.5f, 1f, 1f }, hi.ToArray<float>());
        Assert.Equal(new[] { -1f, -1f, 0.5f, 2f, 2f }, both.ToArray<float>());
    }

    [Fact]
    public void Clamp_Int64Tensor_StaysInt64()
    {
        using var x = Tensor.From(1L, 5L, 3L);
        using var c = x.Clamp(2, 4);
        Assert.Equal(DType.Int64, c.DType);
        Assert.Equal(new long[] { 2, 4, 3 }, x.Clamp_(2, 4).ToArray<long>());
    }

    private static double[] SoftmaxRows(double[] x, int rows, int cols, bool log)
    {
        var y = new double[x.Length];
        for (var r = 0; r < rows; r++)
        {
            double z = 0;
            for (var c = 0; c < cols; c++) z += Math.Exp(x[(r * cols) + c]);
            for (var c = 0; c < cols; c++)
            {
                var v = x[(r * cols) + c];
                y[(r * cols) + c] = log ? v - Math.Log(z) : Math.Exp(v) / z;
            }
        }
        return y;
    }

    [Fact]
    public void SoftmaxLogSoftmax_AlongEachDim_MatchHandNormalisation()
    {
        double[] x = [1, 2, 3, -1, 0, 4];
        using var t = Tensor.From<double>(x, [2, 3]);
        using var s1 = t.Softmax(1);
        using var l1 = t.LogSoftmax(-1);
        Expect.Close(SoftmaxRows(x, 2, 3, false), s1.ToArray<double>(), 1e-12);
        Expect.Close(SoftmaxRows(x, 2, 3, true), l1.ToArray<double>(), 1e-12);
        using var s0 = t.Softmax(0);
        var byCols = Expect.Transpose(SoftmaxRows(Expect.Transpose(x, 2, 3), 3, 2, false), 3, 2);
        Expect.Close(byCols, s0.ToArray<double>(), 1e-12);
    }

    [Fact]
    public void Softmax_LargeLogits_StableNoNaN()
    {
        using var t = Tensor.From(1000f, 1000f, 0f);
        using var s = t.Softmax(0);
        Expect.Close([0.5, 0.5, 0], s.ToArray<float>(), 1e-7);
    }

    [Fact]
    public void Comparisons_TensorsAndScalars_BoolResults()
    {
        using var scope = new DisposeScope();
        var a = Tensor.From(1f, 2f, 3f);
        var b = Tensor.From(3f, 2f, 1f);
        Assert.Equal(new[] { false, true, false }, a.Eq(b).ToArray<bool>());
        Assert.Equal(new[] { true, false, true }, a.Ne(b).ToArray<bool>());
        Assert.Equal(new[] { true, false, false }, (a < b).ToArray<bool>());
        Assert.Equal(new[] { true, true, false }, (a <= b).ToArray<bool>());
        Assert.Equal(new[] { false, false, true }, (a > b).ToArray<bool>());
        Assert.Equal(new[] { false, true, true }, (a >= b).ToArray<bool>());
        Assert.Equal(new[] { true, false, false }, (a < 2).ToArray<bool>());
        Assert.Equal(new[] { true, true, false }, (a <= 2).ToArray<bool>());
        Assert.Equal(new[] { false, false, true }, (a > 2).ToArray<bool>());
        Assert.Equal(new[] { false, true, true }, (a >= 2).ToArray<bool>());
        Assert.Equal(new[] { false, true, false }, a.Eq(2).ToArray<bool>());
        Assert.Equal(new[] { true, false, true }, a.Ne(2).ToArray<bool>());
        Assert.Equal(DType.Bool, a.Lt(b).DType);
    }

    [Fact]
    public void LogicalOperators_TruthTable_Match()
    {
        using var scope = new DisposeScope();
        var p = Tensor.From(true, true, false, false);
        var q = Tensor.From(true, false, true, false);
        Assert.Equal(new[] { true, false, false, false }, (p & q).ToArray<bool>());
        Assert.Equal(new[] { true, true, true, false }, (p | q).ToArray<bool>());
        Assert.Equal(new[] { false, true, true, false }, (p ^ q).ToArray<bool>());
        Assert.Equal(new[] { false, false, true, true }, (~p).ToArray<bool>());
    }

    [Fact]
    public void AllClose_WithinAndOutsideTolerance_TrueThenFalse()
    {
        using var a = Tensor.From(1.0, 2.0);
        using var near = Tensor.From(1.000001, 2.0);
        using var far = Tensor.From(1.001, 2.0);
        Assert.True(a.AllClose(near));
        Assert.False(a.AllClose(far));
        Assert.True(a.AllClose(far, rtol: 0, atol: 0.01));
        Assert.False(a.AllClose(near, rtol: 0, atol: 0));
    }

    [Fact]
    public void ValueEquals_SameDifferentValueDifferentShape_OnlyExactMatchTrue()
    {
        using var a = Tensor.From(1f, 2f);
        using var same = Tensor.From(1f, 2f);
        using var diff = Tensor.From(1f, 2.0001f);
        using var shaped = Tensor.From<float>([1f, 2f], [1, 2]);
        Assert.True(a.ValueEquals(same));
        Assert.False(a.ValueEquals(diff));
        Assert.False(a.ValueEquals(shaped));
    }

    [Fact]
    public void Add_ColumnPlusRow_BroadcastsToMatrix()
    {
        using var col = Tensor.From<float>([1f, 2f, 3f], [3, 1]);
        using var row = Tensor.From<float>([10f, 20f, 30f, 40f], [1, 4]);
        using var sum = col + row;
        Assert.Equal(new long[] { 3, 4 }, sum.Shape);
        var expected = new float[12];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 4; j++) expected[(i * 4) + j] = (i + 1) + (10 * (j + 1));
        }
        Assert.Equal(expected, sum.ToArray<float>());
    }
}
