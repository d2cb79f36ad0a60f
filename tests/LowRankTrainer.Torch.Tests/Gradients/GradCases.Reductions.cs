using LowRankTrainer.Torch;
using static LowRankTrainer.Torch.Tests.Gradients.G;

namespace LowRankTrainer.Torch.Tests.Gradients;

// Reductions over all elements and over dims (with and without keepDim). Max/Min inputs are
// standard normal samples, hence distinct (no ties for the subgradient to split).
public static partial class GradCases
{
    public static TheoryData<string, GradCase> Reductions => new()
    {
        { "Sum()", Case(x => x[0].Sum(), R(3, 4)) },
        { "Sum(dim 1)", Case(x => x[0].Sum(1), R(3, 4)) },
        { "Sum(dim 0, keepDim)", Case(x => x[0].Sum(0, keepDim: true), R(3, 4)) },
        { "Sum(dims [0,2], keepDim) on [2,3,2]", Case(x => x[0].Sum([0, 2], keepDim: true), R(2, 3, 2)) },
        { "Sum(dim -1) on [2,3,2]", Case(x => x[0].Sum(-1), R(2, 3, 2)) },
        { "Mean()", Case(x => x[0].Mean(), R(3, 4)) },
        { "Mean(dim 0)", Case(x => x[0].Mean(0), R(3, 4)) },
        { "Mean(dim 1, keepDim)", Case(x => x[0].Mean(1, keepDim: true), R(3, 4)) },
        { "Mean(dims [0,2]) on [2,3,2]", Case(x => x[0].Mean([0, 2]), R(2, 3, 2)) },
        { "Max() of distinct values", Case(x => x[0].Max(), R(3, 4)) },
        { "Min() of distinct values", Case(x => x[0].Min(), R(3, 4)) },
        { "Max(dim 1).Values", Case(x => x[0].Max(1).Values, R(3, 4)) },
        { "Max(dim 0, keepDim).Values", Case(x => x[0].Max(0, keepDim: true).Values, R(3, 4)) },
        { "Min(dim 1).Values", Case(x => x[0].Min(1).Values, R(3, 4)) },
        { "Min(dim -1, keepDim).Values on [2,3,2]", Case(x => x[0].Min(-1, keepDim: true).Values, R(2, 3, 2)) },
        { "Prod(), no zeros", Case(x => x[0].Prod(), Away(2, 3)) },
        { "LogSumExp(dim 1)", Case(x => x[0].LogSumExp([1]), R(3, 4)) },
        { "LogSumExp(dims [0,1], keepDim)", Case(x => x[0].LogSumExp([0, 1], keepDim: true), Scaled(3, 3, 4)) },
        { "Norm(p 2) of all", Case(x => x[0].Norm(), R(3, 4)) },
        { "Norm(p 2, dim 1)", Case(x => x[0].Norm(2, [1]), R(3, 4)) },
        { "Norm(p 2, dim 0, keepDim)", Case(x => x[0].Norm(2, [0], keepDim: true), R(3, 4)) },
        { "Norm(p 1) of all, away from 0", Case(x => x[0].Norm(1), Away(3, 4)) },
        { "Norm(p 1, dim 1), away from 0", Case(x => x[0].Norm(1, [1]), Away(3, 4)) },
        { "Norm(p 3, dims [1,2]) on [2,2,3]", Case(x => x[0].Norm(3, [1, 2]), Away(2, 2, 3)) },
        { "Var() unbiased", Case(x => x[0].Var(), R(3, 4)) },
        { "Var() biased", Case(x => x[0].Var(unbiased: false), R(3, 4)) },
        { "Var(dim 1) unbiased", Case(x => x[0].Var([1]), R(3, 4)) },
        { "Var(dim 0, keepDim) biased", Case(x => x[0].Var([0], unbiased: false, keepDim: true), R(3, 4)) },
        { "Std() unbiased", Case(x => x[0].Std(), R(3, 4)) },
        { "Std() biased", Case(x => x[0].Std(unbiased: false), R(3, 4)) },
        { "Std(dim 1) biased", Case(x => x[0].Std([1], unbiased: false), R(3, 4)) },
        { "Std(dim 0, keepDim) unbiased", Case(x => x[0].Std([0], keepDim: true), R(3, 4)) },
        { "CumSum(dim 0)", Case(x => x[0].CumSum(0), R(3, 4)) },
        { "CumSum(dim 1)", Case(x => x[0].CumSum(1), R(3, 4)) },
        { "CumSum(dim -1) on [2,3,2]", Case(x => x[0].CumSum(-1), R(2, 3, 2)) },
    };
}
