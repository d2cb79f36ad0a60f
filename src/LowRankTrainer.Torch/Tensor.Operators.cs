using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// C# operators with PyTorch's meaning. == and != are deliberately not overloaded (they keep
// reference equality, so `t == null` stays a null check); use Eq/Ne for elementwise equality.
public sealed unsafe partial class Tensor
{
    /// <summary>Elementwise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => NotNull(a).Add(b);
    /// <summary>Tensor plus scalar.</summary>
    public static Tensor operator +(Tensor a, Scalar b) => NotNull(a).Add(b);
    /// <summary>Scalar plus tensor.</summary>
    public static Tensor operator +(Scalar a, Tensor b) => NotNull(b).Add(a);
    /// <summary>Elementwise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => NotNull(a).Sub(b);
    /// <summary>Tensor minus scalar.</summary>
    public static Tensor operator -(Tensor a, Scalar b) => NotNull(a).Sub(b);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(Scalar a, Tensor b) => NotNull(b).WithScalar(a, &NativeMethods.ts_rsub_scalar);
    /// <summary>Elementwise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => NotNull(a).Mul(b);
    /// <summary>Tensor times scalar.</summary>
    public static Tensor operator *(Tensor a, Scalar b) => NotNull(a).Mul(b);
    /// <summary>Scalar times tensor.</summary>
    public static Tensor operator *(Scalar a, Tensor b) => NotNull(b).Mul(a);
    /// <summary>Elementwise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => NotNull(a).Div(b);
    /// <summary>Tensor divided by scalar.</summary>
    public static Tensor operator /(Tensor a, Scalar b) => NotNull(a).Div(b);
    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(Scalar a, Tensor b) => NotNull(b).WithScalar(a, &NativeMethods.ts_rdiv_scalar);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => NotNull(a).Neg();
    /// <summary>Elementwise &lt;.</summary>
    public static Tensor operator <(Tensor a, Tensor b) => NotNull(a).Lt(b);
    /// <summary>Elementwise &gt;.</summary>
    public static Tensor operator >(Tensor a, Tensor b) => NotNull(a).Gt(b);
    /// <summary>Elementwise &lt;=.</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => NotNull(a).Le(b);
    /// <summary>Elementwise &gt;=.</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => NotNull(a).Ge(b);
    /// <summary>Elementwise &lt; scalar.</summary>
    public static Tensor operator <(Tensor a, Scalar b) => NotNull(a).Lt(b);
    /// <summary>Elementwise &gt; scalar.</summary>
    public static Tensor operator >(Tensor a, Scalar b) => NotNull(a).Gt(b);
    /// <summary>Elementwise &lt;= scalar.</summary>
    public static Tensor operator <=(Tensor a, Scalar b) => NotNull(a).Le(b);
    /// <summary>Elementwise &gt;= scalar.</summary>
    public static Tensor operator >=(Tensor a, Scalar b) => NotNull(a).Ge(b);
    /// <summary>Logical and of bool tensors.</summary>
    public static Tensor operator &(Tensor a, Tensor b) => NotNull(a).LogicalAnd(b);
    /// <summary>Logical or of bool tensors.</summary>
    public static Tensor operator |(Tensor a, Tensor b) => NotNull(a).LogicalOr(b);
    /// <summary>Logical xor of bool tensors.</summary>
    public static Tensor operator ^(Tensor a, Tensor b) => NotNull(a).LogicalXor(b);
    /// <summary>Logical not of a bool tensor (PyTorch's ~mask).</summary>
    public static Tensor operator ~(Tensor a) => NotNull(a).LogicalNot();

    private static Tensor NotNull(Tensor t, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(t))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        return t;
    }
}
