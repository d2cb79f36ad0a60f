using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>
/// The small, fast form of experiments/randlora's synthetic part (METHODS.md §9 item 4(i)): a frozen 32×32 Linear fitted by MSE to
/// y = (W₀ + ΔW*)x with a full-rank target ΔW* whose spectrum is flat (a random orthogonal matrix). LoRA of rank k can do
/// no better than the Eckart–Young floor Σ_{i&gt;k} σ_i² / Σ σ_i² = (32 − k)/32; RandLoRA with base rank 4 (n = 8 bases,
/// 4·8 + 8·32 = 288 parameters, fewer than LoRA r = 5's 320) learns a full-rank update and ends below that floor.
/// (On a Gaussian target it does not: see experiments/randlora/README.md.)
/// </summary>
public class RandLoraFullRankTests(ITestOutputHelper output)
{
    private const int D = 32;

    private static (double RelativeError, int Rank, long Trainable) Fit(AdapterOptions options, Tensor target)
    {
        using var g = new Generator(1);
        using var model = new Sequential(new Linear(D, D, bias: false, generator: g));
        var adapted = AdapterModel.Inject(model, options);
        var parameters = adapted.TrainableParameters().Select(p => p.Value).ToList();
        using var optimizer = new AdamW(parameters, lr: 1e-2, weightDecay: 0);
        using var data = new DisposeScope();
        var x = Tensor.Randn([4 * D, D], g);
        Tensor y;
        using (Autograd.NoGrad()) y = x.MatMul((adapted.Layers[0].Layer.BaseLayer.Weight.Value + target).MT);
        for (var step = 0; step < 800; step++)
        {
            using var scope = new DisposeScope();
            Functional.Mse(model.Forward(x), y).Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        using var noGrad = Autograd.NoGrad();
        var delta = adapted.Layers[0].Layer.DeltaWeight().To(DType.Float64);
        var t64 = target.To(DType.Float64);
        var relative = (delta - t64).Square().Sum().ToDouble() / t64.Square().Sum().ToDouble();
        var (_, s, _) = Linalg.Svd(delta);
        var sv = s.ToArray<double>();
        return (relative, sv.Count(v => v > 1e-5 * sv[0]), adapted.Summary().Trainable);
    }

    [Fact]
    public void OnAFlatSpectrumTarget_RandLoraIsFullRank_AndEndsBelowLorasFloor_WithFewerParameters()
    {
        using var g = new Generator(2);
        using var scope = new DisposeScope();
        var (q, _) = Linalg.Qr(Tensor.Randn([D, D], g));  // orthogonal: all singular values 1
        var rand = Fit(new RandLoraOptions { TargetModules = ["0"], R = 4, Alpha = 4 }, q);
        var lora = Fit(new LoraOptions { TargetModules = ["0"], R = 5, Alpha = 5 }, q);
        var floor = (D - 5) / (double)D;
        output.WriteLine($"randlora: {rand.Trainable} params, rank {rand.Rank}, relative error {rand.RelativeError:F4}");
        output.WriteLine($"lora r5:  {lora.Trainable} params, rank {lora.Rank}, relative error {lora.RelativeError:F4} (Eckart–Young floor {floor:F4})");
        Assert.Equal(4 * 8 + (8 * D), rand.Trainable);
        Assert.True(rand.Trainable < lora.Trainable);
        Assert.Equal(D, rand.Rank);
        Assert.True(lora.Rank <= 5);
        Assert.True(lora.RelativeError >= floor - 1e-4, "no rank-5 update beats Eckart–Young");
        Assert.True(rand.RelativeError < floor - 0.1, $"RandLoRA {rand.RelativeError:F4} should end well below LoRA's floor {floor:F4}");
    }
}
