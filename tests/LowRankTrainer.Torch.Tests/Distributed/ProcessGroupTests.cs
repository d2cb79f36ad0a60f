using System.Diagnostics;
using LowRankTrainer.Torch.Distributed;

namespace LowRankTrainer.Torch.Tests.Distributed;

/// <summary>
/// The c10d Gloo process group over loopback, with its ranks on threads of this process (each rank has its own store
/// client and Gloo context, exactly as separate processes would): the collectives against closed-form results, and
/// the failure paths bounded by the timeout.
/// </summary>
public class ProcessGroupTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);


    // Runs every body on a thread of its own; fails if any is still running after a minute (a hang), rethrows the
    // first exception, else returns the results in order.
    private static T[] OnThreads<T>(params Func<T>[] bodies)
    {
        var results = new T[bodies.Length];
        var errors = new Exception?[bodies.Length];
        var threads = bodies.Select((body, i) => new Thread(() =>
        {
            try
            {
                results[i] = body();
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        var deadline = Stopwatch.StartNew();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(1) - deadline.Elapsed), "a rank hung");
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new AggregateException(error);
        return results;
    }

    // Runs body(rank, group) on one thread per rank, each rank joining the same group.
    private static T[] OnRanks<T>(int world, Func<int, ProcessGroup, T> body)
    {
        var port = ProcessGroup.FreeLoopbackPort();
        return OnThreads(Enumerable.Range(0, world).Select(rank => (Func<T>)(() =>
        {
            using var group = ProcessGroup.Join("127.0.0.1", port, rank, world, Timeout);
            return body(rank, group);
        })).ToArray());
    }

    [GlooFact]
    public void IsAvailable_InThisBuild() => Assert.True(ProcessGroup.IsAvailable, "the shim was built without c10d Gloo (libgloo-dev missing?)");

    [GlooTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void AllReduce_SumsOrAveragesEveryTensorAcrossRanks(bool mean)
    {
        const int world = 3;
        var results = OnRanks(world, (rank, group) =>
        {
            // Rank r holds (r + 1) · base; float32 and float64, a 0-dim tensor and one of 1,000 elements.
            using var a = Tensor.From([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]) * (rank + 1.0);
            using var b = Tensor.Arange(0, 1000, 1, DType.Float64) * (rank + 1.0);
            using var c = Tensor.From([0.5f], []) * (rank + 1.0);
            group.AllReduce([a, b, c], mean);
            return (a.ToArray<float>(), b.ToArray<double>(), c.ToArray<float>());
        });
        var factor = mean ? (1 + 2 + 3) / 3.0 : 1 + 2 + 3; // Σ (r + 1) over 3 ranks = 6
        foreach (var (a, b, c) in results)
        {
            Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 6f }.Select(v => (float)(v * factor)), a);
            Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * factor), b);
            Assert.Equal((float)(0.5 * factor), c[0]);
        }
    }

    [GlooFact]
    public void AllReduce_InSmallBuckets_EqualsOneBucket()
    {
        // A 64-byte cap splits 40 float32 tensors of 10 elements (40 bytes each) into one bucket per tensor.
        var results = OnRanks(2, (rank, group) =>
        {
            var small = Enumerable.Range(0, 40).Select(i => Tensor.Full([10], i + (rank * 100.0))).ToList();
            try
            {
                group.BucketCapBytes = 64;
                group.AllReduce(small);
                return small.Select(t => t.ToArray<float>()[0]).ToArray();
            }
            finally
            {
                foreach (var t in small) t.Dispose();
            }
        });
        foreach (var sums in results)
        {
            Assert.Equal(Enumerable.Range(0, 40).Select(i => (float)((2 * i) + 100)), sums); // i + (i + 100)
        }
    }

    [GlooFact]
    public void Broadcast_CopiesTheRootsTensorsToEveryRank_AndBarrierReturns()
    {
        var results = OnRanks(2, (rank, group) =>
        {
            using var w = Tensor.From([10f, 20f, 30f]) * (rank + 1.0);
            using var v = Tensor.From([1.0, 2.0]) * (rank + 1.0);
            group.Broadcast([w, v], root: 1);
            group.Barrier();
            return (w.ToArray<float>(), v.ToArray<double>());
        });
        foreach (var (w, v) in results)
        {
            Assert.Equal(new[] { 20f, 40f, 60f }, w); // rank 1's values
            Assert.Equal(new[] { 2.0, 4.0 }, v);
        }
    }

    [GlooFact]
    public void ARankThatNeverComes_FailsTheJoinWithinTheTimeout()
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.ThrowsAny<TorchException>(() => ProcessGroup.Join("127.0.0.1", ProcessGroup.FreeLoopbackPort(), 0, 2, TimeSpan.FromSeconds(2)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        output.WriteLine(e.Message);
        Assert.Contains("rank 0 of 2 joining the c10d group at 127.0.0.1:", e.Message, StringComparison.Ordinal);
    }

    [GlooFact]
    public void ARankThatLeaves_FailsTheOthersCollectiveInsteadOfHanging()
    {
        var port = ProcessGroup.FreeLoopbackPort();
        using var left = new ManualResetEventSlim();
        var outcomes = OnThreads<(TimeSpan Elapsed, string Message)>(
            () =>
            {
                using var group = ProcessGroup.Join("127.0.0.1", port, 0, 2, TimeSpan.FromSeconds(5));
                group.Barrier();
                left.Wait(TimeSpan.FromSeconds(30));
                using var x = Tensor.Ones([4]);
                var watch = Stopwatch.StartNew();
                var e = Assert.ThrowsAny<TorchException>(() => group.AllReduce([x]));
                return (watch.Elapsed, e.Message);
            },
            () =>
            {
                // Rank 1 leaves without joining rank 0's all-reduce: its connections close.
                using (var group = ProcessGroup.Join("127.0.0.1", port, 1, 2, TimeSpan.FromSeconds(5))) group.Barrier();
                left.Set();
                return (TimeSpan.Zero, "");
            });
        Assert.True(outcomes[0].Elapsed < TimeSpan.FromSeconds(30), $"took {outcomes[0].Elapsed}");
        output.WriteLine(outcomes[0].Message);
        Assert.StartsWith("c10d all_reduce on rank 0 of 2 (another rank has stopped", outcomes[0].Message, StringComparison.Ordinal);
    }
}
