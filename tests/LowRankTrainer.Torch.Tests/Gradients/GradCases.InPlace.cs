using LowRankTrainer.Torch;
using static LowRankTrainer.Torch.Tests.Gradients.G;

namespace LowRankTrainer.Torch.Tests.Gradients;

// In-place ops are differentiable on non-leaf tensors: each case mutates a Clone() of the first
// input (a leaf requiring grad may not be modified in place) and returns it.
public static partial class GradCases
{
    private static GradFunction OnClone(Action<Tensor, IReadOnlyList<Tensor>> mutate) => x =>
    {
        var y = x[0].Clone();
        mutate(y, x);
        return y;
    };

    public static TheoryData<string, GradCase> InPlace => new()
    {
        { "Add_(t, alpha 2)", Case(OnClone((y, x) => y.Add_(x[1], 2.0)), R(3, 4), R(3, 4)) },
        { "Add_(t) broadcast [4]", Case(OnClone((y, x) => y.Add_(x[1])), R(3, 4), R(4)) },
        { "Sub_(t, alpha 0.5)", Case(OnClone((y, x) => y.Sub_(x[1], 0.5)), R(3, 4), R(3, 4)) },
        { "Sub_(t)", Case(OnClone((y, x) => y.Sub_(x[1])), R(3, 4), R(3, 4)) },
        { "Mul_(t)", Case(OnClone((y, x) => y.Mul_(x[1])), R(3, 4), R(3, 4)) },
        { "Div_(t), denominator away from 0", Case(OnClone((y, x) => y.Div_(x[1])), R(3, 4), Away(3, 4)) },
        { "Add_(scalar 1.5)", Case(OnClone((y, _) => y.Add_(1.5)), R(3, 4)) },
        { "Mul_(scalar -3)", Case(OnClone((y, _) => y.Mul_(-3.0)), R(3, 4)) },
        { "Div_(scalar 2)", Case(OnClone((y, _) => y.Div_(2.0)), R(3, 4)) },
        { "Clamp_(-0.5, 0.5), some clamped", Case(OnClone((y, _) => y.Clamp_(-0.5, 0.5)), V(ClampValues, 3, 4)) },
        { "Fill_(2) (zero gradient)", Case(OnClone((y, _) => y.Fill_(2.0)), R(3, 4)) with { ZeroInputs = [0] } },
        { "Zero_() then Add_(t)", Case(OnClone((y, x) => y.Zero_().Add_(x[1], 3.0)), R(3, 4), R(3, 4)) with { ZeroInputs = [0] } },
        { "Copy_(src) broadcast [4] into [3,4]", Case(OnClone((y, x) => y.Mul_(2.0).Copy_(x[1])), R(3, 4), R(4)) with { ZeroInputs = [0] } },
        { "MaskedFill_(mask, 0.5)", Case(OnClone((y, _) => y.MaskedFill_(ElementMask(), 0.5)), R(3, 4)) },
        { "this[bool row mask] = value [4] (broadcast)", Case(OnClone((y, x) => y[RowMask()] = x[1]), R(3, 4), R(4)) },
        { "this[int64 [0,2]] = value [2,4]", Case(OnClone((y, x) => y[Longs([0, 2], 2)] = x[1]), R(3, 4), R(2, 4)) },
        { "in-place chain on a view: y[1].Mul_(x)", Case(OnClone((y, x) => y[1].Mul_(x[1])), R(3, 4), R(4)) },
    };
}
