using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch;

// Products (matmul, bmm, einsum, linear) as tensor methods.
public sealed unsafe partial class Tensor
{
    /// <summary>Matrix product with NumPy broadcasting rules (torch.matmul).</summary>
    public Tensor MatMul(Tensor other) => Binary(other, &NativeMethods.ts_matmul);
    /// <summary>2-D matrix product.</summary>
    public Tensor Mm(Tensor other) => Binary(other, &NativeMethods.ts_mm);
    /// <summary>Batched matrix product of (b,n,m)·(b,m,p).</summary>
    public Tensor Bmm(Tensor other) => Binary(other, &NativeMethods.ts_bmm);
    /// <summary>Outer product of two vectors.</summary>
    public Tensor Outer(Tensor other) => Binary(other, &NativeMethods.ts_outer);

    /// <summary>y = x·Wᵀ + b (PyTorch's F.linear); <paramref name="bias"/> may be null.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        nint r;
        return Wrap(NativeMethods.ts_linear(input.Handle, weight.Handle, bias?.Handle ?? 0, &r), r);
    }

    /// <summary>Einstein summation, e.g. <c>Einsum("ij,jk->ik", a, b)</c>.</summary>
    public static Tensor Einsum(string equation, params ReadOnlySpan<Tensor> operands)
    {
        ArgumentNullException.ThrowIfNull(equation);
        var eq = ShimLibrary.Utf8Z(equation);
        Span<nint> handles = stackalloc nint[operands.Length];
        for (var i = 0; i < operands.Length; i++) handles[i] = NotNull(operands[i]).Handle;
        nint r;
        fixed (byte* e = eq)
        fixed (nint* p = handles)
        {
            return Wrap(NativeMethods.ts_einsum(e, p, handles.Length, &r), r);
        }
    }
}

/// <summary>Decompositions and solvers (torch.linalg); all support batched inputs.</summary>
public static unsafe class Linalg
{
    /// <summary>A = U·diag(S)·Vh with singular values descending; reduced unless <paramref name="fullMatrices"/>.</summary>
    public static (Tensor U, Tensor S, Tensor Vh) Svd(Tensor a, bool fullMatrices = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        nint u, s, vh;
        ShimLibrary.Check(NativeMethods.ts_linalg_svd(a.Handle, fullMatrices ? 1 : 0, &u, &s, &vh));
        return (new Tensor(u), new Tensor(s), new Tensor(vh));
    }

    /// <summary>A = Q·R with Q orthonormal columns and R upper triangular; square Q when <paramref name="complete"/>.</summary>
    public static (Tensor Q, Tensor R) Qr(Tensor a, bool complete = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        nint q, r;
        ShimLibrary.Check(NativeMethods.ts_linalg_qr(a.Handle, complete ? 1 : 0, &q, &r));
        return (new Tensor(q), new Tensor(r));
    }

    /// <summary>Symmetric eigendecomposition A = V·diag(L)·Vᵀ, eigenvalues ascending (uses the lower triangle).</summary>
    public static (Tensor Eigenvalues, Tensor Eigenvectors) Eigh(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        nint l, v;
        ShimLibrary.Check(NativeMethods.ts_linalg_eigh(a.Handle, &l, &v));
        return (new Tensor(l), new Tensor(v));
    }

    /// <summary>X with A·X = B.</summary>
    public static Tensor Solve(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Binary(b, &NativeMethods.ts_linalg_solve);
    }

    /// <summary>A⁻¹.</summary>
    public static Tensor Inv(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Unary(&NativeMethods.ts_linalg_inv);
    }
}
