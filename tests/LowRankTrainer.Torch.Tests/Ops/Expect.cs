namespace LowRankTrainer.Torch.Tests.Ops;

/// <summary>Assertions and plain-C# reference computations shared by the op tests.</summary>
internal static class Expect
{
    /// <summary>Asserts |expected − actual| ≤ atol + rtol·|expected| elementwise, with the same length.</summary>
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double atol = 1e-6, double rtol = 0)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            if (double.IsNaN(e))
            {
                Assert.True(double.IsNaN(a), $"element {i}: expected NaN, got {a}");
                continue;
            }
            if (double.IsInfinity(e))
            {
                Assert.True(e == a, $"element {i}: expected {e}, got {a}");
                continue;
            }
            Assert.True(Math.Abs(e - a) <= atol + rtol * Math.Abs(e), $"element {i}: expected {e:R}, got {a:R}");
        }
    }

    /// <summary>Float32 tensor values compared with double references.</summary>
    public static void Close(IReadOnlyList<double> expected, float[] actual, double atol = 1e-6, double rtol = 0) =>
        Close(expected, Array.ConvertAll(actual, v => (double)v), atol, rtol);

    /// <summary>The values of a float32 or float64 tensor as doubles.</summary>
    public static double[] Values(Tensor t) => t.DType switch
    {
        DType.Float32 => Array.ConvertAll(t.ToArray<float>(), v => (double)v),
        DType.Float64 => t.ToArray<double>(),
        _ => throw new InvalidOperationException($"Values() reads float tensors, got {t.DType}"),
    };

    /// <summary>Row-major (n×k)·(k×m) product of plain arrays.</summary>
    public static double[] MatMul(double[] a, double[] b, int n, int k, int m)
    {
        var c = new double[n * m];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < m; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++) s += a[(i * k) + p] * b[(p * m) + j];
                c[(i * m) + j] = s;
            }
        }
        return c;
    }

    /// <summary>Row-major transpose of an n×m array.</summary>
    public static double[] Transpose(double[] a, int n, int m)
    {
        var t = new double[n * m];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < m; j++) t[(j * n) + i] = a[(i * m) + j];
        }
        return t;
    }

    /// <summary>Asserts the columns of a row-major n×m matrix are orthonormal.</summary>
    public static void OrthonormalColumns(double[] q, int n, int m, double tol = 1e-10)
    {
        var gram = MatMul(Transpose(q, n, m), q, m, n, m);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < m; j++)
            {
                Assert.True(Math.Abs(gram[(i * m) + j] - (i == j ? 1.0 : 0.0)) <= tol, $"QᵀQ[{i},{j}] = {gram[(i * m) + j]}");
            }
        }
    }

    /// <summary>erf by its Maclaurin series (accurate to ~1e-13 for |x| ≤ 3).</summary>
    public static double Erf(double x)
    {
        double sum = 0, term = x;
        for (var n = 0; n < 80; n++)
        {
            sum += term / ((2 * n) + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
