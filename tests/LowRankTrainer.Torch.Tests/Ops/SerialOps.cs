namespace LowRankTrainer.Torch.Tests.Ops;

/// <summary>
/// Tests that read or write process-wide state (the default generator, the live-handle count) run in
/// this collection, alone, after the parallel ones: another thread drawing random numbers or
/// creating tensors meanwhile would make them flaky.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialOps
{
    public const string Name = "Ops tests on process-wide state";
}
