using LowRankTrainer.Torch;
using static LowRankTrainer.Torch.Tests.Gradients.G;

namespace LowRankTrainer.Torch.Tests.Gradients;

// Gathering, scattering and masking. Index and mask tensors are constants built inside the function
// (so both the analytic and the numeric evaluations see them); duplicates in gather-like indices
// must accumulate, scatter indices are unique per target so the forward is deterministic.
public static partial class GradCases
{
    // Rows of a [3,4] tensor: keep rows 0 and 2.
    private static Tensor RowMask() => Bools([true, false, true], 3);

    private static Tensor ElementMask() =>
        Bools([true, false, false, true, false, true, true, false, false, false, true, true], 3, 4);

    // Scatter along dim 0 of a [3,4] target: per column, two distinct target rows.
    private static Tensor ScatterRows() => Longs([0, 1, 2, 0, 2, 0, 1, 1], 2, 4);

    // Scatter along dim 1 of a [2,4] target: row 0 writes columns 3 and 0, row 1 columns 1 and 2.
    private static Tensor ScatterColumns() => Longs([3, 0, 1, 2], 2, 2);

    public static TheoryData<string, GradCase> Indexing => new()
    {
        { "IndexSelect(dim 0, [2,0,2]) duplicates", Case(x => x[0].IndexSelect(0, Longs([2, 0, 2], 3)), R(3, 4)) },
        { "IndexSelect(dim 1, [3,1])", Case(x => x[0].IndexSelect(1, Longs([3, 1], 2)), R(3, 4)) },
        { "Gather(dim 1) duplicates", Case(x => x[0].Gather(1, Longs([0, 0, 3, 1, 2, 2], 3, 2)), R(3, 4)) },
        { "Gather(dim 0)", Case(x => x[0].Gather(0, Longs([2, 0, 1, 2, 0, 0, 1, 1], 2, 4)), R(3, 4)) },
        { "Scatter(dim 0, src), grads of self and src", Case(x => x[0].Scatter(0, ScatterRows(), x[1]), R(3, 4), R(2, 4)) },
        { "Scatter(dim 1), grads of self and src", Case(x => x[0].Scatter(1, ScatterColumns(), x[1]), R(2, 4), R(2, 2)) },
        { "Scatter(dim 0, scalar 0.5), grad of self", Case(x => x[0].Scatter(0, ScatterRows(), 0.5), R(3, 4)) },
        { "ScatterAdd(dim 0) duplicates, grads of self and src", Case(x => x[0].ScatterAdd(0, Longs([0, 0, 2, 1, 0, 2, 2, 1], 2, 4), x[1]), R(3, 4), R(2, 4)) },
        { "ScatterAdd(dim 1)", Case(x => x[0].ScatterAdd(1, Longs([3, 3, 0, 1, 1, 2], 3, 2), x[1]), R(3, 4), R(3, 2)) },
        { "MaskedFill(mask [3,4], 0.25)", Case(x => x[0].MaskedFill(ElementMask(), 0.25), R(3, 4)) },
        { "MaskedFill(broadcast mask [4], -1)", Case(x => x[0].MaskedFill(Bools([false, true, true, false], 4), -1.0), R(3, 4)) },
        { "Where(cond, a, b), both branches", Case(x => Tensor.Where(ElementMask(), x[0], x[1]), R(3, 4), R(3, 4)) },
        { "Where(cond, a, b) broadcast b [4]", Case(x => Tensor.Where(ElementMask(), x[0], x[1]), R(3, 4), R(4)) },
        { "Where(cond from the input, a, a²)", Case(x => { var c = x[0] > 0.0; return Tensor.Where(c, x[0], x[0].Square()); }, Away(3, 4)) },
        { "MaskedSelect(mask [3,4])", Case(x => x[0].MaskedSelect(ElementMask()), R(3, 4)) },
        { "MaskedSelect(broadcast mask [4])", Case(x => x[0].MaskedSelect(Bools([true, false, true, true], 4)), R(3, 4)) },
        { "this[bool row mask [3]]", Case(x => x[0][RowMask()], R(3, 4)) },
        { "this[bool element mask [3,4]]", Case(x => x[0][ElementMask()], R(3, 4)) },
        { "this[int64 [2,0,2]] duplicates", Case(x => x[0][Longs([2, 0, 2], 3)], R(3, 4)) },
        { "this[int64 [[0,1],[2,2]]] 2-D index", Case(x => x[0][Longs([0, 1, 2, 2], 2, 2)], R(3, 4)) },
    };
}
