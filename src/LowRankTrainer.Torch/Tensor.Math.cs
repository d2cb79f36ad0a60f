using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// Elementwise arithmetic, activations and comparisons. Broadcasting and type promotion are
// libtorch's own (PyTorch semantics). Adding an op: one TS_TENSOR_FN line in src/native, its
// P/Invoke declaration, and one line here through Unary/Binary/WithScalar.
public sealed unsafe partial class Tensor
{
    internal Tensor Unary(delegate*<nint, nint*, int> op)
    {
        nint r;
        return Wrap(op(Handle, &r), r);
    }

    internal Tensor Binary(Tensor other, delegate*<nint, nint, nint*, int> op)
    {
        ArgumentNullException.ThrowIfNull(other);
        nint r;
        return Wrap(op(Handle, other.Handle, &r), r);
    }

    internal Tensor WithScalar(Scalar value, delegate*<nint, Scalar, nint*, int> op)
    {
        nint r;
        return Wrap(op(Handle, value, &r), r);
    }

    // ---- binary ----

    /// <summary>this + alpha·other.</summary>
    public Tensor Add(Tensor other, Scalar alpha)
    {
        ArgumentNullException.ThrowIfNull(other);
        nint r;
        return Wrap(NativeMethods.ts_add(Handle, other.Handle, alpha, &r), r);
    }

    /// <summary>this + other.</summary>
    public Tensor Add(Tensor other) => Add(other, 1L);

    /// <summary>this − alpha·other.</summary>
    public Tensor Sub(Tensor other, Scalar alpha)
    {
        ArgumentNullException.ThrowIfNull(other);
        nint r;
        return Wrap(NativeMethods.ts_sub(Handle, other.Handle, alpha, &r), r);
    }

    /// <summary>this − other.</summary>
    public Tensor Sub(Tensor other) => Sub(other, 1L);

    /// <summary>Elementwise product.</summary>
    public Tensor Mul(Tensor other) => Binary(other, &NativeMethods.ts_mul);
    /// <summary>Elementwise true division (integers promote to float).</summary>
    public Tensor Div(Tensor other) => Binary(other, &NativeMethods.ts_div);
    /// <summary>Elementwise power this^exponent.</summary>
    public Tensor Pow(Tensor exponent) => Binary(exponent, &NativeMethods.ts_pow);
    /// <summary>Elementwise maximum.</summary>
    public Tensor Maximum(Tensor other) => Binary(other, &NativeMethods.ts_maximum);
    /// <summary>Elementwise minimum.</summary>
    public Tensor Minimum(Tensor other) => Binary(other, &NativeMethods.ts_minimum);
    /// <summary>this + s.</summary>
    public Tensor Add(Scalar s) => WithScalar(s, &NativeMethods.ts_add_scalar);
    /// <summary>this − s.</summary>
    public Tensor Sub(Scalar s) => WithScalar(-s, &NativeMethods.ts_add_scalar);
    /// <summary>this · s.</summary>
    public Tensor Mul(Scalar s) => WithScalar(s, &NativeMethods.ts_mul_scalar);
    /// <summary>this / s.</summary>
    public Tensor Div(Scalar s) => WithScalar(s, &NativeMethods.ts_div_scalar);
    /// <summary>this ^ s.</summary>
    public Tensor Pow(Scalar s) => WithScalar(s, &NativeMethods.ts_pow_scalar);

    /// <summary>s ^ exponent, elementwise (torch.pow(scalar, tensor)).</summary>
    public static Tensor Pow(Scalar s, Tensor exponent) => NotNull(exponent).WithScalar(s, &NativeMethods.ts_rpow_scalar);

    // ---- unary ----

    /// <summary>−x.</summary>
    public Tensor Neg() => Unary(&NativeMethods.ts_neg);
    /// <summary>eˣ.</summary>
    public Tensor Exp() => Unary(&NativeMethods.ts_exp);
    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary(&NativeMethods.ts_log);
    /// <summary>√x.</summary>
    public Tensor Sqrt() => Unary(&NativeMethods.ts_sqrt);
    /// <summary>1/√x.</summary>
    public Tensor Rsqrt() => Unary(&NativeMethods.ts_rsqrt);
    /// <summary>|x|.</summary>
    public Tensor Abs() => Unary(&NativeMethods.ts_abs);
    /// <summary>−1, 0 or 1.</summary>
    public Tensor Sign() => Unary(&NativeMethods.ts_sign);
    /// <summary>x².</summary>
    public Tensor Square() => Unary(&NativeMethods.ts_square);
    /// <summary>1/x.</summary>
    public Tensor Reciprocal() => Unary(&NativeMethods.ts_reciprocal);
    /// <summary>sin x.</summary>
    public Tensor Sin() => Unary(&NativeMethods.ts_sin);
    /// <summary>cos x.</summary>
    public Tensor Cos() => Unary(&NativeMethods.ts_cos);
    /// <summary>tanh x.</summary>
    public Tensor Tanh() => Unary(&NativeMethods.ts_tanh);
    /// <summary>σ(x) = 1/(1+e⁻ˣ).</summary>
    public Tensor Sigmoid() => Unary(&NativeMethods.ts_sigmoid);
    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary(&NativeMethods.ts_relu);
    /// <summary>x·σ(x) (SiLU / swish).</summary>
    public Tensor Silu() => Unary(&NativeMethods.ts_silu);
    /// <summary>Rounds down.</summary>
    public Tensor Floor() => Unary(&NativeMethods.ts_floor);
    /// <summary>Rounds up.</summary>
    public Tensor Ceil() => Unary(&NativeMethods.ts_ceil);
    /// <summary>Rounds half to even.</summary>
    public Tensor Round() => Unary(&NativeMethods.ts_round);
    /// <summary>True where NaN.</summary>
    public Tensor IsNan() => Unary(&NativeMethods.ts_isnan);
    /// <summary>True where finite.</summary>
    public Tensor IsFinite() => Unary(&NativeMethods.ts_isfinite);
    /// <summary>Logical not (nonzero → false).</summary>
    public Tensor LogicalNot() => Unary(&NativeMethods.ts_logical_not);

    /// <summary>GELU: x·Φ(x) exactly, or its tanh approximation 0.5x(1+tanh(√(2/π)(x+0.044715x³))).</summary>
    public Tensor Gelu(bool tanhApproximation = false)
    {
        nint r;
        return Wrap(NativeMethods.ts_gelu(Handle, tanhApproximation ? 1 : 0, &r), r);
    }

    /// <summary>Clamps to [min, max]; a null bound is open. Integral bounds keep an integer tensor integral.</summary>
    public Tensor Clamp(Scalar? min = null, Scalar? max = null)
    {
        nint r;
        return Wrap(NativeMethods.ts_clamp(Handle, min.HasValue ? 1 : 0, min ?? default, max.HasValue ? 1 : 0, max ?? default, &r), r);
    }

    /// <summary>softmax along a dim: exp(xᵢ)/Σⱼexp(xⱼ).</summary>
    public Tensor Softmax(long dim)
    {
        nint r;
        return Wrap(NativeMethods.ts_softmax(Handle, dim, &r), r);
    }

    /// <summary>log-softmax along a dim: xᵢ − log Σⱼexp(xⱼ), computed stably.</summary>
    public Tensor LogSoftmax(long dim)
    {
        nint r;
        return Wrap(NativeMethods.ts_log_softmax(Handle, dim, &r), r);
    }

    // ---- comparisons and logic (bool results) ----

    /// <summary>Elementwise ==.</summary>
    public Tensor Eq(Tensor other) => Binary(other, &NativeMethods.ts_eq);
    /// <summary>Elementwise !=.</summary>
    public Tensor Ne(Tensor other) => Binary(other, &NativeMethods.ts_ne);
    /// <summary>Elementwise &lt;.</summary>
    public Tensor Lt(Tensor other) => Binary(other, &NativeMethods.ts_lt);
    /// <summary>Elementwise &lt;=.</summary>
    public Tensor Le(Tensor other) => Binary(other, &NativeMethods.ts_le);
    /// <summary>Elementwise &gt;.</summary>
    public Tensor Gt(Tensor other) => Binary(other, &NativeMethods.ts_gt);
    /// <summary>Elementwise &gt;=.</summary>
    public Tensor Ge(Tensor other) => Binary(other, &NativeMethods.ts_ge);
    /// <summary>Elementwise == s.</summary>
    public Tensor Eq(Scalar s) => WithScalar(s, &NativeMethods.ts_eq_scalar);
    /// <summary>Elementwise != s.</summary>
    public Tensor Ne(Scalar s) => WithScalar(s, &NativeMethods.ts_ne_scalar);
    /// <summary>Elementwise &lt; s.</summary>
    public Tensor Lt(Scalar s) => WithScalar(s, &NativeMethods.ts_lt_scalar);
    /// <summary>Elementwise &lt;= s.</summary>
    public Tensor Le(Scalar s) => WithScalar(s, &NativeMethods.ts_le_scalar);
    /// <summary>Elementwise &gt; s.</summary>
    public Tensor Gt(Scalar s) => WithScalar(s, &NativeMethods.ts_gt_scalar);
    /// <summary>Elementwise &gt;= s.</summary>
    public Tensor Ge(Scalar s) => WithScalar(s, &NativeMethods.ts_ge_scalar);
    /// <summary>Logical and.</summary>
    public Tensor LogicalAnd(Tensor other) => Binary(other, &NativeMethods.ts_logical_and);
    /// <summary>Logical or.</summary>
    public Tensor LogicalOr(Tensor other) => Binary(other, &NativeMethods.ts_logical_or);
    /// <summary>Logical xor.</summary>
    public Tensor LogicalXor(Tensor other) => Binary(other, &NativeMethods.ts_logical_xor);

    /// <summary>|this − other| ≤ atol + rtol·|other| everywhere (torch.allclose).</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(other);
        int r;
        ShimLibrary.Check(NativeMethods.ts_allclose(Handle, other.Handle, rtol, atol, &r));
        return r != 0;
    }

    /// <summary>Same shape and exactly equal elements (torch.equal).</summary>
    public bool ValueEquals(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int r;
        ShimLibrary.Check(NativeMethods.ts_equal(Handle, other.Handle, &r));
        return r != 0;
    }

    // ---- in place: mutate this tensor and return it ----

    /// <summary>this += alpha·other.</summary>
    public Tensor Add_(Tensor other, Scalar alpha)
    {
        ArgumentNullException.ThrowIfNull(other);
        ShimLibrary.Check(NativeMethods.ts_add_(Handle, other.Handle, alpha));
        return this;
    }

    /// <summary>this += other.</summary>
    public Tensor Add_(Tensor other) => Add_(other, 1L);

    /// <summary>this −= alpha·other.</summary>
    public Tensor Sub_(Tensor other, Scalar alpha)
    {
        ArgumentNullException.ThrowIfNull(other);
        ShimLibrary.Check(NativeMethods.ts_sub_(Handle, other.Handle, alpha));
        return this;
    }

    /// <summary>this −= other.</summary>
    public Tensor Sub_(Tensor other) => Sub_(other, 1L);

    /// <summary>this *= other.</summary>
    public Tensor Mul_(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ShimLibrary.Check(NativeMethods.ts_mul_(Handle, other.Handle));
        return this;
    }

    /// <summary>this /= other.</summary>
    public Tensor Div_(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ShimLibrary.Check(NativeMethods.ts_div_(Handle, other.Handle));
        return this;
    }

    /// <summary>this += s.</summary>
    public Tensor Add_(Scalar s)
    {
        ShimLibrary.Check(NativeMethods.ts_add_scalar_(Handle, s));
        return this;
    }

    /// <summary>this *= s.</summary>
    public Tensor Mul_(Scalar s)
    {
        ShimLibrary.Check(NativeMethods.ts_mul_scalar_(Handle, s));
        return this;
    }

    /// <summary>this /= s.</summary>
    public Tensor Div_(Scalar s)
    {
        ShimLibrary.Check(NativeMethods.ts_div_scalar_(Handle, s));
        return this;
    }

    /// <summary>Clamps in place to [min, max]; a null bound is open.</summary>
    public Tensor Clamp_(Scalar? min = null, Scalar? max = null)
    {
        ShimLibrary.Check(NativeMethods.ts_clamp_(Handle, min.HasValue ? 1 : 0, min ?? default, max.HasValue ? 1 : 0, max ?? default));
        return this;
    }

    /// <summary>Sets every element to s.</summary>
    public Tensor Fill_(Scalar s)
    {
        ShimLibrary.Check(NativeMethods.ts_fill_(Handle, s));
        return this;
    }

    /// <summary>Sets every element to zero.</summary>
    public Tensor Zero_()
    {
        ShimLibrary.Check(NativeMethods.ts_zero_(Handle));
        return this;
    }

    /// <summary>Copies src's elements into this tensor (broadcasting, converting dtype and device).</summary>
    public Tensor Copy_(Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        ShimLibrary.Check(NativeMethods.ts_copy_(Handle, src.Handle));
        return this;
    }
}
