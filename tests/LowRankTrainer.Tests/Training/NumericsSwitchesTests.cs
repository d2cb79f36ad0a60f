using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Training;

/// <summary><c>train.tf32</c> and <c>train.full_determinism</c>: on for the run, restored after it.</summary>
// Serial: the switches are process-wide.
[Collection(TrainingSerial.Name)]
public class NumericsSwitchesTests
{
    [Fact]
    public void Tf32AndFullDeterminism_AreOnDuringTheRun_AndRestoredAfter()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config();
        config = config with { Train = config.Train with { MaxSteps = 3, Tf32 = true, FullDeterminism = true } };
        Assert.False(TorchRuntime.SetDeterministic(false)); // libtorch's defaults: both off
        Assert.False(Cuda.SetAllowTf32(false));
        bool? deterministicDuring = null, tf32During = null;
        tiny.Run(config, step =>
        {
            if (step != 2) return;
            // Setting a switch to the value it has returns that value: what the run set.
            deterministicDuring = TorchRuntime.SetDeterministic(true);
            tf32During = Cuda.SetAllowTf32(true);
        });
        Assert.True(deterministicDuring);
        Assert.True(tf32During);
        Assert.False(TorchRuntime.SetDeterministic(false)); // restored to off
        Assert.False(Cuda.SetAllowTf32(false));
    }

    [Fact]
    public void Unset_LeavesTheSwitchesAlone()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config();
        config = config with { Train = config.Train with { MaxSteps = 2 } };
        bool? deterministicDuring = null;
        tiny.Run(config, step => deterministicDuring ??= TorchRuntime.SetDeterministic(false));
        Assert.False(deterministicDuring);
    }
}
