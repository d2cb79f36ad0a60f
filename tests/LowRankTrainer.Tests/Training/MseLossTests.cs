using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// <c>loss.name: mse</c> as torch.nn.MSELoss: the mean of the squared errors over every entry, for scalar targets ([N, 1]
/// outputs against [N]) and vector targets ([N, d] against [N, d]); the evaluation's batched mean is the same number.
/// </summary>
public sealed class MseLossTests
{
    private static readonly LossFunction Mse = new(new LossConfig { Name = "mse" });

    /// <summary>An identity "model": the output is the input, so the evaluation compares the inputs with the targets.</summary>
    private sealed class Identity : Module<Tensor, Tensor>
    {
        public override Tensor Forward(Tensor input) => input * 1.0;
    }

    [Fact]
    public void VectorTargets_MeanOverAllEntries_ByHand()
    {
        // Errors (output − target): [[1, −2, 0], [0.5, 0, 3]] → squares 1, 4, 0, 0.25, 0, 9 → sum 14.25 over 6 entries.
        using var scope = new DisposeScope();
        var output = Tensor.From<float>([1, 0, 2, 1.5f, 1, 3], [2, 3]);
        var target = Tensor.From<float>([0, 2, 2, 1, 1, 0], [2, 3]);
        Assert.Equal(14.25 / 6, Mse.Compute(output, target).ToDouble(), 1e-6);
        Assert.Equal(14.25, Mse.Compute(output, target, Reduction.Sum).ToDouble(), 1e-5);
    }

    [Fact]
    public void Evaluate_InUnevenBatches_IsTheMeanOverAllNTimesDEntries()
    {
        using var g = new Generator(4);
        using var data = new TensorDataset(Tensor.Randn([7, 5], g), Tensor.Randn([7, 5], g));
        using var scope = new DisposeScope();
        var expected = (data.Inputs.To(DType.Float64) - data.Targets.To(DType.Float64)).Square().Sum().ToDouble() / 35;
        using var model = new Identity();
        Assert.Equal(expected, Mse.Evaluate(model, data, batchSize: 3).Loss, 1e-6);
    }

    [Fact]
    public void ScalarTargets_AColumnOutputMeetsAVectorOfTargets()
    {
        using var scope = new DisposeScope();
        var output = Tensor.From<float>([1, 2, 3], [3, 1]);
        var target = Tensor.From<float>([0, 2, 5], [3]);
        Assert.Equal(5.0 / 3, Mse.Compute(output, target).ToDouble(), 1e-6);
    }

    [Fact]
    public void MismatchedShapes_AreRefused_NotBroadcast()
    {
        // [3, 3] against [3] would broadcast along the last dim and give a number; it is a shape error instead.
        using var scope = new DisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Mse.Compute(Tensor.Zeros(3, 3), Tensor.Zeros(3)));
        Assert.Contains("the model gives [3, 3], the targets are [3]", e.Message, StringComparison.Ordinal);
    }
}
