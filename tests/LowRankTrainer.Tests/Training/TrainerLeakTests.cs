using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Training;

/// <summary>Runs alone: <see cref="Tensor.LiveCount"/> counts the handles of every thread.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingSerial
{
    public const string Name = "Training (serial: leak checks read the process-wide live count)";
}

[Collection(TrainingSerial.Name)]
public class TrainerLeakTests
{
    [Fact]
    public void Run_WithCheckpointsEvalAndResume_LeavesNoHandleBehind()
    {
        using var tiny = new TinyRun();
        DisposeScope.CollectOrphans();
        var baseline = Tensor.LiveCount;

        var first = tiny.RunUntil(tiny.Config(), 10);
        tiny.Run(tiny.Config() with { Train = tiny.Config().Train with { ResumeFromCheckpoint = first.LastCheckpoint } });

        DisposeScope.CollectOrphans();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
