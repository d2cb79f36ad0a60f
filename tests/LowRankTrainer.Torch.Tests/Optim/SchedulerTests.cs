using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Torch.Optim.Schedulers;

namespace LowRankTrainer.Torch.Tests.Optim;

/// <summary>The HF Trainer schedules against PyTorch's LambdaLR driving the transformers formulas.</summary>
public class SchedulerTests
{
    [Fact]
    public void WarmupSchedules_MatchHuggingFaceThroughLambdaLR()
    {
        using var p0 = Tensor.Zeros(1).RequiresGrad_();
        using var p1 = Tensor.Zeros(1).RequiresGrad_();
        foreach (var c in OptimFixture.Cases("schedules"))
        {
            var baseLrs = c.GetProperty("base_lrs").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            using var opt = new Sgd([new ParamGroup([p0], lr: baseLrs[0]), new ParamGroup([p1], lr: baseLrs[1])]);
            var kind = Enum.Parse<ScheduleKind>(c.GetProperty("kind").GetString()!, ignoreCase: true);
            var warmup = new Warmup(c.GetProperty("warmup_steps").GetInt64(), c.GetProperty("warmup_ratio").GetDouble());
            var sched = new WarmupSchedule(opt, kind, c.GetProperty("total_steps").GetInt64(), warmup);
            var step = 0;
            foreach (var expected in c.GetProperty("lrs").EnumerateArray())
            {
                var e = expected.EnumerateArray().Select(x => x.GetDouble()).ToArray();
                for (var g = 0; g < 2; g++)
                {
                    Assert.True(Math.Abs(e[g] - opt.ParamGroups[g].Lr) <= 1e-15 * e[g] + 1e-20,
                                $"{kind} warm-up {warmup} step {step} group {g}: lr {opt.ParamGroups[g].Lr:R}, PyTorch {e[g]:R}");
                }
                Assert.Equal(e, sched.LastLrs);
                sched.Step();
                step++;
            }
        }
    }

    [Fact]
    public void Warmup_RatioRoundsUpLikeHuggingFace_AndStepsWin()
    {
        Assert.Equal(3, Warmup.OfRatio(0.12).Resolve(20));
        Assert.Equal(7, Warmup.OfRatio(0.33).Resolve(20));
        Assert.Equal(4, new Warmup(4, 0.5).Resolve(20));
        Assert.Equal(0, Warmup.None.Resolve(20));
    }

    [Fact]
    public void SaveAndLoad_ResumesTheSchedule()
    {
        using var p = Tensor.Zeros(1).RequiresGrad_();
        using var a = new AdamW([p], lr: 1e-3);
        var sa = WarmupSchedule.Linear(a, 10, Warmup.OfSteps(3));
        for (var i = 0; i < 4; i++) sa.Step();
        using var b = new AdamW([new ParamGroup([p])], lr: 0.5);
        var sb = WarmupSchedule.Linear(b, 10, Warmup.OfSteps(3));
        sb.LoadState(sa.SaveState());
        Assert.Equal(4, sb.CurrentStep);
        Assert.Equal(1e-3, sb.BaseLrs[0]);
        for (var i = 0; i < 3; i++)
        {
            sa.Step();
            sb.Step();
            Assert.Equal(a.ParamGroups[0].Lr, b.ParamGroups[0].Lr);
        }
    }

    [Fact]
    public void DecayingSchedule_WithoutTotalSteps_Throws() =>
        Assert.Throws<ArgumentException>(() =>
        {
            using var p = Tensor.Zeros(1);
            using var opt = new Sgd([p]);
            return WarmupSchedule.Cosine(opt, 0);
        });
}
