using LowRankTrainer.Torch;
using static LowRankTrainer.Torch.Tests.Gradients.G;

namespace LowRankTrainer.Torch.Tests.Gradients;

// Views, reshapes, joins and splits, copies and conversions: their gradients route (and for
// expand/broadcast, sum) the upstream gradient back to the right elements.
public static partial class GradCases
{
    public static TheoryData<string, GradCase> Shape => new()
    {
        { "Reshape(4, 3)", Case(x => x[0].Reshape(4, 3), R(3, 4)) },
        { "Reshape(-1)", Case(x => x[0].Reshape(-1), R(3, 4)) },
        { "Reshape of a non-contiguous view (MT)", Case(x => x[0].MT.Reshape(2, -1), R(3, 4)) },
        { "View(2, 6)", Case(x => x[0].View(2, 6), R(3, 4)) },
        { "View(-1, 2)", Case(x => x[0].View(-1, 2), R(3, 4)) },
        { "Transpose(0, 1)", Case(x => x[0].Transpose(0, 1), R(3, 4)) },
        { "Transpose(0, 2) on [2,3,2]", Case(x => x[0].Transpose(0, 2), R(2, 3, 2)) },
        { "MT on [3,4]", Case(x => x[0].MT, R(3, 4)) },
        { "MT on [2,3,2]", Case(x => x[0].MT, R(2, 3, 2)) },
        { "Permute(2, 0, 1)", Case(x => x[0].Permute(2, 0, 1), R(2, 3, 2)) },
        { "Narrow(dim 1, start 1, length 2)", Case(x => x[0].Narrow(1, 1, 2), R(3, 4)) },
        { "Narrow(dim 0, start 2, length 1)", Case(x => x[0].Narrow(0, 2, 1), R(3, 4)) },
        { "Slice(dim 1, 0:4:2)", Case(x => x[0].Slice(1, 0, 4, 2), R(3, 4)) },
        { "Slice(dim 1, 1:4:2)", Case(x => x[0].Slice(1, 1, 4, 2), R(3, 4)) },
        { "Slice(dim 0, 1:3)", Case(x => x[0].Slice(0, 1, 3), R(3, 4)) },
        { "Select(dim 0, 1)", Case(x => x[0].Select(0, 1), R(3, 4)) },
        { "Select(dim 1, -1)", Case(x => x[0].Select(1, -1), R(3, 4)) },
        { "this[1]", Case(x => x[0][1], R(3, 4)) },
        { "this[-1] on [2,3,2]", Case(x => x[0][-1], R(2, 3, 2)) },
        { "this[2][1] chained", Case(x => x[0][2][1], R(3, 4)) },
        { "Unsqueeze(0)", Case(x => x[0].Unsqueeze(0), R(3, 4)) },
        { "Unsqueeze(-1)", Case(x => x[0].Unsqueeze(-1), R(3, 4)) },
        { "Squeeze() on [3,1,2,1]", Case(x => x[0].Squeeze(), R(3, 1, 2, 1)) },
        { "Squeeze(dim 1) on [3,1,2]", Case(x => x[0].Squeeze(1), R(3, 1, 2)) },
        { "Expand(3, 4) from [1,4]", Case(x => x[0].Expand(3, 4), R(1, 4)) },
        { "Expand(-1, 4) from [3,1]", Case(x => x[0].Expand(-1, 4), R(3, 1)) },
        { "Expand(2, 3) from [3] (new leading dim)", Case(x => x[0].Expand(2, 3), R(3)) },
        { "Flatten()", Case(x => x[0].Flatten(), R(2, 3, 2)) },
        { "Flatten(1, 2)", Case(x => x[0].Flatten(1, 2), R(2, 3, 2)) },
        { "Contiguous() of MT", Case(x => x[0].MT.Contiguous(), R(3, 4)) },
        { "Contiguous() of a contiguous tensor", Case(x => x[0].Contiguous(), R(3, 4)) },
        { "Cat(dim 0) [2,3] ++ [1,3]", Case(x => Tensor.Cat([x[0], x[1]]), R(2, 3), R(1, 3)) },
        { "Cat(dim 1) [2,3] ++ [2,2]", Case(x => Tensor.Cat([x[0], x[1]], 1), R(2, 3), R(2, 2)) },
        { "Cat(dim -1) of three", Case(x => Tensor.Cat([x[0], x[1], x[2]], -1), R(2, 1), R(2, 2), R(2, 3)) },
        { "Cat of the same tensor twice", Case(x => Tensor.Cat([x[0], x[0]]), R(2, 3)) },
        { "Stack(dim 0)", Case(x => Tensor.Stack([x[0], x[1]]), R(2, 3), R(2, 3)) },
        { "Stack(dim 1)", Case(x => Tensor.Stack([x[0], x[1]], 1), R(2, 3), R(2, 3)) },
        { "Stack(dim -1) of three", Case(x => Tensor.Stack([x[0], x[1], x[2]], -1), R(3), R(3), R(3)) },
        { "Split(size 2, dim 0), piece 1", Case(x => x[0].Split(2)[1], R(3, 4)) },
        { "Split(size 3, dim 1), piece 0", Case(x => x[0].Split(3, 1)[0], R(3, 4)) },
        { "Split(sizes [1,3], dim 1), piece 1", Case(x => x[0].Split([1L, 3L], 1)[1], R(3, 4)) },
        { "Split(size 2, dim 1), pieces recombined", Case(x => { var p = x[0].Split(2, 1); return Tensor.Cat([p[1], p[0] * 2.0], 1); }, R(3, 4)) },
        { "Chunk(2, dim 1), piece 1", Case(x => x[0].Chunk(2, 1)[1], R(3, 4)) },
        { "Chunk(2, dim 0), piece 0", Case(x => x[0].Chunk(2)[0], R(3, 4)) },
        { "Clone()", Case(x => x[0].Clone(), R(3, 4)) },
        { "Clone() of a view, then scaled", Case(x => x[0].MT.Clone() * 2.0, R(3, 4)) },
        { "To(cpu, Float64, copy: true)", Case(x => x[0].To(Device.Cpu, DType.Float64, copy: true), R(3, 4)) },
        { "To(Float64), same dtype", Case(x => x[0].To(DType.Float64), R(3, 4)) },
        { "Cpu(), same device", Case(x => x[0].Cpu(), R(3, 4)) },
        { "Alias()", Case(x => x[0].Alias(), R(3, 4)) },
        { "Alias() used twice", Case(x => { var a = x[0].Alias(); return a * x[0]; }, R(3, 4)) },
        // float32 round trip: the step and tolerances are sized for float32 rounding (ulp ~ 1e-7).
        {
            "To(Float32) then To(Float64), float32 tolerances",
            Case(x => x[0].To(DType.Float32).To(DType.Float64), R(3, 4)) with
            {
                Options = new GradCheckOptions { Eps = 1e-3, Atol = 1e-4, Rtol = 1e-3 },
            }
        },
    };
}
