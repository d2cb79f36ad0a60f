using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.LoraSb;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>LoRA-SB's init (Ponkshe, Singhal et al. 2024): orthonormal B and A, R = diag(S), and the gradient estimate.</summary>
public sealed class LoraSbTests
{
    [Fact]
    public void Init_BAndAAreOrthonormal_RIsDiagOfTheSingularValues_AndBRAIsTheTruncatedSvd()
    {
        using var model = AdapterTestModels.Mlp();
        var ctx = new WeightSignContext(0.05);
        var adapted = AdapterModel.Inject(model, new LoraSbOptions { TargetModules = ["all-linear"], R = 4, InitContext = ctx });
        using var scope = new DisposeScope();
        foreach (var (_, layer) in adapted.Layers)
        {
            var l = Assert.IsType<LoraSbLinear>(layer);
            var a = l.A.Value.To(DType.Float64);
            var b = l.B.Value.To(DType.Float64);
            var r = l.Latent.Value.To(DType.Float64);
            var eye = Tensor.Eye(4, dtype: DType.Float64);
            Assert.True((a.Mm(a.MT) - eye).Abs().Max().ToDouble() < 1e-5, "A Aᵀ = I");
            Assert.True((b.MT.Mm(b) - eye).Abs().Max().ToDouble() < 1e-5, "Bᵀ B = I");
            var delta = LoraSbMethod.InitialUpdate(WeightSignContext.Gradient(l.BaseLayer.Weight.Value), 0.05);
            var (_, s, _) = Linalg.Svd(delta);
            var expectedR = Tensor.Eye(4, dtype: DType.Float64) * s.Narrow(0, 0, 4).Unsqueeze(0);
            Assert.True((r - expectedR).Abs().Max().ToDouble() < 1e-5, "R = diag(S_r)");
            Assert.True(s.Narrow(0, 0, 4).Min().ToDouble() > 0);
        }
    }

    [Fact]
    public void InitialUpdate_IsMinusEtaTimesSign()
    {
        using var scope = new DisposeScope();
        var g = Tensor.From<double>([0.3, -2.0, 0.0, 5e-9], [2, 2]);
        var d = LoraSbMethod.InitialUpdate(g, 0.1).ToArray<double>();
        Assert.Equal([-0.1, 0.1, 0.0, -0.1], d);
    }

    [Fact]
    public void GradientEstimate_SignStructure_EqualsAPlainRecomputation()
    {
        // y = W x, loss = mean over the batch of ½‖y − t‖², so ∂(loss/|b|)/∂W = Σ_i (W x_i − t_i) x_iᵀ / |b|² per batch.
        double[] w = [0.5, -0.25, 0.1, 0.75, -0.5, 0.2];
        double[] xs = [1, 2, -1, 0.5, 0.25, -2, 3, -1, 0.5, -0.75];
        double[] ts = [0.1, -0.3, 0.7, 0.2, -0.5, 0.4, 0.0, 0.9, 1.1, -0.6, 0.3, 0.8, -1.2, 0.05, 0.6];
        using var generator = new Generator(1);  // never the global RNG: training tests run alongside
        using var model = new Sequential(new Linear(2, 3, bias: false, generator: generator, dtype: DType.Float64));
        using (Autograd.NoGrad()) model.NamedParameters().Single().Parameter.Value.Copy_(Tensor.From<double>(w, [3, 2]));
        using var data = new TensorDataset(Tensor.From<double>(xs, [5, 2]), Tensor.From<double>(ts, [5, 3]));
        var loss = new LossFunction(new LossConfig { Name = "mse" });
        using var estimate = GradientEstimate.Compute(model, loss, data, numSamples: 4, batchSize: 3, firstStepLr: 0.01);
        var g = estimate.Gradients["0.weight"].To(DType.Float64).ToArray<double>();

        var expected = new double[6];
        foreach (var (start, size) in new[] { (0, 3), (3, 1) })
        {
            for (var i = start; i < start + size; i++)
            {
                for (var o = 0; o < 3; o++)
                {
                    var y = (w[(o * 2) + 0] * xs[(i * 2) + 0]) + (w[(o * 2) + 1] * xs[(i * 2) + 1]);
                    var t = ts[(i * 3) + o];
                    for (var k = 0; k < 2; k++) expected[(o * 2) + k] += 2 * (y - t) * xs[(i * 2) + k] / (size * 3.0) / size;
                }
            }
        }
        for (var j = 0; j < 6; j++)
        {
            Assert.Equal(Math.Sign(expected[j]), Math.Sign(g[j]));
            Assert.Equal(expected[j], g[j], 1e-9);
        }
        Assert.Equal(0.01, estimate.FirstStepLr);
        Assert.Null(model.NamedParameters().Single().Parameter.Value.Grad);
    }

    [Fact]
    public void FirstStepLearningRate_IsLrOverWarmupSteps()
    {
        Assert.Equal(1e-3 / 4, GradientEstimate.FirstStepLearningRate(1e-3, 4));
        Assert.Equal(1e-3, GradientEstimate.FirstStepLearningRate(1e-3, 0));
    }
}
