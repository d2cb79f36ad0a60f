using LowRankTrainer.Torch;
using static LowRankTrainer.Torch.Tests.Gradients.G;

namespace LowRankTrainer.Torch.Tests.Gradients;

// Products and decompositions. Decompositions are checked through functions that do not depend on
// the factors' gauge (the signs of singular/eigen vectors): singular values and eigenvalues
// (distinct for random inputs), and reconstructions such as U·diag(S)·Vh. QR is unique once the
// sign pattern of R's diagonal is fixed, which is locally constant for full-rank inputs, so Q and R
// themselves are checked. Eigh reads one triangle only, so its input is symmetrised (X + Xᵀ) inside
// the function, as PyTorch's own gradcheck does: its backward assumes a symmetric input.
public static partial class GradCases
{
    public static TheoryData<string, GradCase> Products => new()
    {
        { "MatMul 2-D [2,3]·[3,4]", Case(x => x[0].MatMul(x[1]), R(2, 3), R(3, 4)) },
        { "MatMul batched [2,2,3]·[2,3,2]", Case(x => x[0].MatMul(x[1]), R(2, 2, 3), R(2, 3, 2)) },
        { "MatMul broadcast batch [2,2,3]·[3,2]", Case(x => x[0].MatMul(x[1]), R(2, 2, 3), R(3, 2)) },
        { "MatMul matrix·vector [3,4]·[4]", Case(x => x[0].MatMul(x[1]), R(3, 4), R(4)) },
        { "MatMul vector·matrix [3]·[3,4]", Case(x => x[0].MatMul(x[1]), R(3), R(3, 4)) },
        { "MatMul vector·vector (dot)", Case(x => x[0].MatMul(x[1]), R(4), R(4)) },
        { "Mm [3,2]·[2,4]", Case(x => x[0].Mm(x[1]), R(3, 2), R(2, 4)) },
        { "Mm with a transposed operand", Case(x => x[0].Mm(x[1].MT), R(3, 2), R(4, 2)) },
        { "Bmm [2,2,3]·[2,3,2]", Case(x => x[0].Bmm(x[1]), R(2, 2, 3), R(2, 3, 2)) },
        { "Outer [3]⊗[4]", Case(x => x[0].Outer(x[1]), R(3), R(4)) },
        { "Linear with bias: input, weight, bias", Case(x => Tensor.Linear(x[0], x[1], x[2]), R(2, 3), R(4, 3), R(4)) },
        { "Linear without bias", Case(x => Tensor.Linear(x[0], x[1]), R(2, 3), R(4, 3)) },
        { "Linear batched input [2,2,3] with bias", Case(x => Tensor.Linear(x[0], x[1], x[2]), R(2, 2, 3), R(2, 3), R(2)) },
        { "Einsum ij,jk->ik", Case(x => Tensor.Einsum("ij,jk->ik", x[0], x[1]), R(2, 3), R(3, 4)) },
        { "Einsum bij,bkj->bik", Case(x => Tensor.Einsum("bij,bkj->bik", x[0], x[1]), R(2, 2, 3), R(2, 2, 3)) },
        { "Einsum i,j->ij", Case(x => Tensor.Einsum("i,j->ij", x[0], x[1]), R(3), R(2)) },
        { "Einsum ii->i (diagonal)", Case(x => Tensor.Einsum("ii->i", x[0]), R(3, 3)) },
        { "Einsum ij,ij-> (Frobenius product)", Case(x => Tensor.Einsum("ij,ij->", x[0], x[1]), R(3, 4), R(3, 4)) },
        { "Fwht [8]", Case(x => x[0].Fwht(), R(8)) },
        { "Fwht rows [3,4] times a weight", Case(x => x[0].Fwht() * x[1], R(3, 4), R(3, 4)) },
        { "Fwht of a non-contiguous transpose [4,2]ᵀ", Case(x => x[0].MT.Fwht(), R(4, 2)) },
    };

    private static Tensor UDiagSVh(Tensor a)
    {
        var (u, s, vh) = Linalg.Svd(a);
        return (u * s.Unsqueeze(-2)).MatMul(vh);
    }

    // Symmetrised input for eigh: X + Xᵀ.
    private static Tensor Sym(Tensor x) => x + x.MT;

    private static Tensor VDiagFVt(Tensor x, Func<Tensor, Tensor> f)
    {
        var (l, v) = Linalg.Eigh(Sym(x));
        return (v * f(l).Unsqueeze(-2)).MatMul(v.MT);
    }

    public static TheoryData<string, GradCase> Decompositions => new()
    {
        { "Solve(A, B) both args, well-conditioned A", Case(x => Linalg.Solve(x[0], x[1]), WellConditioned(3, 3, 3), R(3, 2)) },
        { "Solve(A, b) vector right-hand side", Case(x => Linalg.Solve(x[0], x[1]), WellConditioned(3, 3, 3), R(3)) },
        { "Solve batched [2,3,3]·X = [2,3,1]", Case(x => Linalg.Solve(x[0], x[1]), WellConditioned(3, 2, 3, 3), R(2, 3, 1)) },
        { "Inv(A), well-conditioned", Case(x => Linalg.Inv(x[0]), WellConditioned(3, 3, 3)) },
        { "Inv batched [2,2,2]", Case(x => Linalg.Inv(x[0]), WellConditioned(2, 2, 2, 2)) },
        { "Svd S of [3,4] (distinct singular values)", Case(x => Linalg.Svd(x[0]).S, R(3, 4)) },
        { "Svd S of [4,3]", Case(x => Linalg.Svd(x[0]).S, R(4, 3)) },
        { "Svd S of [3,4], fullMatrices", Case(x => Linalg.Svd(x[0], fullMatrices: true).S, R(3, 4)) },
        { "Svd S batched [2,3,2]", Case(x => Linalg.Svd(x[0]).S, R(2, 3, 2)) },
        { "Svd U·diag(S)·Vh of [3,4]", Case(x => UDiagSVh(x[0]), R(3, 4)) },
        { "Svd U·diag(S)·Vh of [4,3]", Case(x => UDiagSVh(x[0]), R(4, 3)) },
        {
            "Svd U·diag(S²)·Uᵀ (= A·Aᵀ) of [3,4]",
            Case(x => { var (u, s, _) = Linalg.Svd(x[0]); return (u * s.Square().Unsqueeze(-2)).MatMul(u.MT); }, R(3, 4))
        },
        {
            "Svd pseudo-inverse Vhᵀ·diag(1/S)·Uᵀ of [4,3]",
            Case(x => { var (u, s, vh) = Linalg.Svd(x[0]); return (vh.MT * s.Reciprocal().Unsqueeze(-2)).MatMul(u.MT); }, R(4, 3))
        },
        { "Qr R of [4,3]", Case(x => Linalg.Qr(x[0]).R, R(4, 3)) },
        { "Qr Q of [4,3]", Case(x => Linalg.Qr(x[0]).Q, R(4, 3)) },
        { "Qr Q·R of [4,3]", Case(x => { var (q, r) = Linalg.Qr(x[0]); return q.MatMul(r); }, R(4, 3)) },
        { "Qr Q and R of square [3,3], complete", Case(x => { var (q, r) = Linalg.Qr(x[0], complete: true); return Tensor.Cat([q, r]); }, R(3, 3)) },
        { "Qr Q and R of wide [2,3]", Case(x => { var (q, r) = Linalg.Qr(x[0]); return Tensor.Cat([q, r], 1); }, R(2, 3)) },
        { "Qr R batched [2,3,2]", Case(x => Linalg.Qr(x[0]).R, R(2, 3, 2)) },
        { "Eigh eigenvalues of X + Xᵀ (distinct)", Case(x => Linalg.Eigh(Sym(x[0])).Eigenvalues, R(3, 3)) },
        { "Eigh eigenvalues batched [2,3,3]", Case(x => Linalg.Eigh(Sym(x[0])).Eigenvalues, R(2, 3, 3)) },
        { "Eigh V·diag(L)·Vᵀ (= X + Xᵀ)", Case(x => VDiagFVt(x[0], l => l), R(3, 3)) },
        { "Eigh V·diag(exp L)·Vᵀ (matrix exponential)", Case(x => VDiagFVt(x[0], l => l.Exp()), Scaled(0.5, 3, 3)) },
        { "Eigh V·diag(L²)·Vᵀ on [4,4]", Case(x => VDiagFVt(x[0], l => l.Square()), R(4, 4)) },
    };
}
