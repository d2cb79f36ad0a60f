using LowRankTrainer.Torch;
using static LowRankTrainer.Torch.Tests.Gradients.G;

namespace LowRankTrainer.Torch.Tests.Gradients;

// Elementwise ops: binary (tensor and scalar forms, C# operators), unary math and activations.
// Inputs are moved into each op's domain and, at kinks (abs, relu, clamp, maximum), away from them.
public static partial class GradCases
{
    public static TheoryData<string, GradCase> Binary => new()
    {
        { "Add(t, alpha 2.5)", Case(x => x[0].Add(x[1], 2.5), R(3, 4), R(3, 4)) },
        { "Add(t, integral alpha 3)", Case(x => x[0].Add(x[1], 3L), R(2, 3), R(2, 3)) },
        { "Add(t) broadcast [3,4] + [4]", Case(x => x[0].Add(x[1]), R(3, 4), R(4)) },
        { "Sub(t, alpha 0.7)", Case(x => x[0].Sub(x[1], 0.7), R(3, 4), R(3, 4)) },
        { "Sub(t) broadcast [3,1] - [1,4]", Case(x => x[0].Sub(x[1]), R(3, 1), R(1, 4)) },
        { "Mul(t)", Case(x => x[0].Mul(x[1]), R(3, 4), R(3, 4)) },
        { "Mul(t) broadcast [2,3,1] * [3,4]", Case(x => x[0].Mul(x[1]), R(2, 3, 1), R(3, 4)) },
        { "Div(t), denominator away from 0", Case(x => x[0].Div(x[1]), R(3, 4), Away(3, 4)) },
        { "Div(t) broadcast [3,4] / [3,1]", Case(x => x[0].Div(x[1]), R(3, 4), Pos(3, 1)) },
        { "Pow(t), positive base, both args", Case(x => x[0].Pow(x[1]), Pos(3, 4), R(3, 4)) },
        { "Pow(t) broadcast exponent [4]", Case(x => x[0].Pow(x[1]), Pos(3, 4), R(4)) },
        { "Maximum(t), no ties", Case(x => x[0].Maximum(x[1]), R(3, 4), R(3, 4)) },
        { "Maximum(t) broadcast [3,4] vs [4]", Case(x => x[0].Maximum(x[1]), R(3, 4), R(4)) },
        { "Minimum(t), no ties", Case(x => x[0].Minimum(x[1]), R(3, 4), R(3, 4)) },
        { "Minimum(t) broadcast [3,1] vs [1,4]", Case(x => x[0].Minimum(x[1]), R(3, 1), R(1, 4)) },

        { "Add(scalar 1.5)", Case(x => x[0].Add(1.5), R(3, 4)) },
        { "Sub(scalar 0.25)", Case(x => x[0].Sub(0.25), R(3, 4)) },
        { "Mul(scalar -2)", Case(x => x[0].Mul(-2.0), R(3, 4)) },
        { "Div(scalar 4)", Case(x => x[0].Div(4.0), R(3, 4)) },
        { "Pow(scalar 3.0)", Case(x => x[0].Pow(3.0), R(3, 4)) },
        { "Pow(integral scalar 2)", Case(x => x[0].Pow(2L), R(3, 4)) },
        { "Pow(scalar 0.5), positive base", Case(x => x[0].Pow(0.5), Pos(3, 4)) },
        { "Pow(scalar -1.5), positive base", Case(x => x[0].Pow(-1.5), Pos(3, 4)) },
        { "Pow(scalar base 2.5, t)", Case(x => Tensor.Pow(2.5, x[0]), R(3, 4)) },

        { "operator t + t", Case(x => x[0] + x[1], R(3, 4), R(3, 4)) },
        { "operator t - t", Case(x => x[0] - x[1], R(3, 4), R(3, 4)) },
        { "operator t * t", Case(x => x[0] * x[1], R(3, 4), R(3, 4)) },
        { "operator t / t", Case(x => x[0] / x[1], R(3, 4), Away(3, 4)) },
        { "operator t + s", Case(x => x[0] + 1.5, R(3, 4)) },
        { "operator s + t", Case(x => 1.5 + x[0], R(3, 4)) },
        { "operator t - s", Case(x => x[0] - 0.75, R(3, 4)) },
        { "operator s - t", Case(x => 2.0 - x[0], R(3, 4)) },
        { "operator s - t, integral s", Case(x => 3 - x[0], R(3, 4)) },
        { "operator t * s", Case(x => x[0] * 3.0, R(3, 4)) },
        { "operator s * t", Case(x => -0.5 * x[0], R(3, 4)) },
        { "operator t / s", Case(x => x[0] / 3.0, R(3, 4)) },
        { "operator s / t, t away from 0", Case(x => 2.0 / x[0], Away(3, 4)) },
        { "operator s / t, integral s", Case(x => 2 / x[0], Away(3, 4)) },
        { "operator -t", Case(x => -x[0], R(3, 4)) },
        { "Neg()", Case(x => x[0].Neg(), R(3, 4)) },
        { "chain (a·b + a/b)·s - b", Case(x => (x[0] * x[1] + x[0] / x[1]) * 0.5 - x[1], R(2, 3), Away(2, 3)) },
    };

    // Values for clamp to [-0.5, 0.5]: some below, some inside, some above, none within 0.05 of a bound.
    private static readonly double[] ClampValues = [-1.2, -0.7, -0.3, 0.1, 0.45, 0.8, -0.05, 1.5, -0.55, 0.3, 0.6, -0.44];

    public static TheoryData<string, GradCase> Unary => new()
    {
        { "Exp", Case(x => x[0].Exp(), R(3, 4)) },
        { "Log, positive input", Case(x => x[0].Log(), Pos(3, 4)) },
        { "Sqrt, positive input", Case(x => x[0].Sqrt(), Pos(3, 4)) },
        { "Rsqrt, positive input", Case(x => x[0].Rsqrt(), Pos(3, 4)) },
        { "Abs, away from 0", Case(x => x[0].Abs(), Away(3, 4)) },
        { "Square", Case(x => x[0].Square(), R(3, 4)) },
        { "Reciprocal, away from 0", Case(x => x[0].Reciprocal(), Away(3, 4)) },
        { "Sin", Case(x => x[0].Sin(), Scaled(2, 3, 4)) },
        { "Cos", Case(x => x[0].Cos(), Scaled(2, 3, 4)) },
        { "Tanh", Case(x => x[0].Tanh(), R(3, 4)) },
        { "Sigmoid", Case(x => x[0].Sigmoid(), Scaled(2, 3, 4)) },
        { "Relu, away from 0", Case(x => x[0].Relu(), Away(3, 4)) },
        { "Gelu exact", Case(x => x[0].Gelu(), Scaled(2, 3, 4)) },
        { "Gelu tanh approximation", Case(x => x[0].Gelu(tanhApproximation: true), Scaled(2, 3, 4)) },
        { "Silu", Case(x => x[0].Silu(), Scaled(2, 3, 4)) },
        { "Clamp(-0.5, 0.5), some clamped", Case(x => x[0].Clamp(-0.5, 0.5), V(ClampValues, 3, 4)) },
        { "Clamp(min 0.2) only", Case(x => x[0].Clamp(min: 0.2), V(ClampValues, 3, 4)) },
        { "Clamp(max -0.1) only", Case(x => x[0].Clamp(max: -0.1), V(ClampValues, 3, 4)) },
        { "Softmax(dim 1)", Case(x => x[0].Softmax(1), R(3, 4)) },
        { "Softmax(dim 0)", Case(x => x[0].Softmax(0), R(3, 4)) },
        { "Softmax(dim -1) on [2,2,3]", Case(x => x[0].Softmax(-1), R(2, 2, 3)) },
        { "LogSoftmax(dim -1)", Case(x => x[0].LogSoftmax(-1), R(3, 4)) },
        { "LogSoftmax(dim 0)", Case(x => x[0].LogSoftmax(0), Scaled(3, 3, 4)) },
        // Piecewise constant: the gradient is zero away from the jumps (randn samples sit off them).
        { "Sign (zero gradient)", Case(x => x[0].Sign(), Away(3, 4)) with { ZeroInputs = [0] } },
        { "Floor (zero gradient)", Case(x => x[0].Floor(), Scaled(3, 3, 4)) with { ZeroInputs = [0] } },
        { "Ceil (zero gradient)", Case(x => x[0].Ceil(), Scaled(3, 3, 4)) with { ZeroInputs = [0] } },
        { "Round (zero gradient)", Case(x => x[0].Round(), Scaled(3, 3, 4)) with { ZeroInputs = [0] } },
    };
}
