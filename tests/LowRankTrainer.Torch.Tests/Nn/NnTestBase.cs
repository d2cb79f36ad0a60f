namespace LowRankTrainer.Torch.Tests.Nn;

/// <summary>
/// After each test, collects garbage and frees the handles its finalizers queued, now rather than at
/// some later test's scope exit. These tests leak nothing themselves, but parsing the JSON fixtures
/// allocates enough to trigger collections that finalize tensors other tests left to the GC; freeing
/// those inside another test that compares live counts with a baseline would make it flaky.
/// </summary>
public abstract class NnTestBase : IDisposable
{
    public void Dispose()
    {
        Drain();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees every handle whose tensor is already garbage: call before reading a live-count baseline.</summary>
    protected static void Drain()
    {
        DisposeScope.CollectOrphans();
    }
}
