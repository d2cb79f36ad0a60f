using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Memory;

public class DisposeScopeTests
{
    [Fact]
    public void Dispose_FreesEveryTemporaryCreatedInside()
    {
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var before = Tensor.LiveCount;
        Tensor c;
        using (var scope = new DisposeScope())
        {
            var a = Tensor.Ones(3);
            var b = a * 2;
            c = (a + b).Exp();
            Assert.Equal(before + 4, Tensor.LiveCount);
            Assert.Equal(4, scope.Count);
        }
        Assert.True(c.IsDisposed);
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void MoveToOuterScope_KeepsResultAliveUntilOuterEnds()
    {
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var before = Tensor.LiveCount;
        using (var outer = new DisposeScope())
        {
            Tensor kept;
            using (var inner = new DisposeScope())
            {
                var tmp = Tensor.Full([2], 3.0);
                kept = (tmp * tmp).MoveToOuterScope();
            }
            Assert.False(kept.IsDisposed);
            Assert.Equal(new[] { 9f, 9f }, kept.ToArray<float>());
            Assert.Equal(1, outer.Count);
        }
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void DetachFromScope_SurvivesScope_AndIsFreedByDispose()
    {
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var before = Tensor.LiveCount;
        Tensor parameter;
        using (new DisposeScope())
        {
            parameter = Tensor.Zeros(4).DetachFromScope();
            using var _ = Tensor.Ones(1); // an ordinary temporary beside it
        }
        Assert.False(parameter.IsDisposed);
        Assert.Equal(before + 1, Tensor.LiveCount);
        parameter.Dispose();
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void Suspend_CreatesUnscopedTensors_ThenRestoresTheScope()
    {
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var before = Tensor.LiveCount;
        Tensor state;
        using (var scope = new DisposeScope())
        {
            using (DisposeScope.Suspend())
            {
                Assert.Null(DisposeScope.Current);
                state = Tensor.Zeros(2);
            }
            Assert.Same(scope, DisposeScope.Current);
            _ = Tensor.Ones(2);
        }
        Assert.False(state.IsDisposed);
        state.Dispose();
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void ExplicitDisposeInsideScope_IsNotFreedTwice()
    {
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var before = Tensor.LiveCount;
        using (new DisposeScope())
        {
            var t = Tensor.Ones(2);
            t.Dispose();
            Assert.Equal(before, Tensor.LiveCount);
        }
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void DisposingOuterBeforeInner_Throws()
    {
        var outer = new DisposeScope();
        var inner = new DisposeScope();
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
        Assert.Null(DisposeScope.Current);
    }

    [Fact]
    public void UsingATensorAfterItsScopeEnded_ThrowsObjectDisposed()
    {
        Tensor t;
        using (new DisposeScope())
        {
            t = Tensor.Ones(2);
        }
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
    }

    [Fact]
    public void UndisposedUnscopedTensor_IsReclaimedByTheSafetyNet()
    {
        // Earlier tests may have dropped tensors too: reclaim those first so the baseline is stable.
        DisposeScope.CollectOrphans();
        var before = Tensor.LiveCount;
        CreateAndDrop();
        Assert.Equal(before + 1, Tensor.LiveCount);
        DisposeScope.CollectOrphans();
        Assert.Equal(before, Tensor.LiveCount);

        static void CreateAndDrop() => _ = Tensor.Ones(8);
    }

    [Fact]
    public void OrphansFreed_CountsOnlyTensorsTheSafetyNetReclaimed()
    {
        DisposeScope.CollectOrphans();
        var before = DisposeScope.OrphansFreed;
        var live = Tensor.LiveCount;
        CreateAndDrop(); // two unscoped tensors dropped without Dispose
        using (var disposed = Tensor.Zeros(3)) { } // disposed properly: not an orphan
        using (new DisposeScope()) _ = Tensor.Ones(2); // freed by its scope: not an orphan
        Assert.Equal(2, DisposeScope.CollectOrphans());
        Assert.Equal(before + 2, DisposeScope.OrphansFreed);
        Assert.Equal(live, Tensor.LiveCount);
        Assert.Equal(0, DisposeScope.CollectOrphans()); // nothing left to reclaim, and the count stays
        Assert.Equal(before + 2, DisposeScope.OrphansFreed);

        static void CreateAndDrop()
        {
            _ = Tensor.Ones(8);
            _ = Tensor.Full([4], 2.0);
        }
    }
}
