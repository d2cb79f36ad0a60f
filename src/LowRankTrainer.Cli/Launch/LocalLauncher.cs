using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using LowRankTrainer.Torch.Distributed;

namespace LowRankTrainer.Cli.Launch;

/// <summary>
/// <c>lrt train --nproc N</c>: what torchrun does on one machine. Starts N ranks of the same <c>lrt train</c> command with
/// torchrun's variables (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), forwards SIGINT/SIGTERM to them,
/// tears the group down when a rank fails, and exits with the run's outcome.
/// </summary>
internal sealed class LocalLauncher
{
    /// <summary>
    /// How long the other ranks get to stop by themselves after one failed. Their next collective fails within seconds
    /// once the dead rank's connections close; a rank stuck elsewhere (in a long evaluation, say) is then SIGKILLed.
    /// </summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(15);

    // After the SIGKILLs, the most we wait for the exits before giving up on a process the kernel will not let go.
    private static readonly TimeSpan AfterKill = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly List<RankProcess> _ranks = [];
    private readonly List<int> _received = [];
    private readonly int _nproc;
    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;
    private readonly TimeSpan _grace;
    private readonly int? _configThreads;
    private readonly bool _rank0ToTerminal;

    private LocalLauncher(int nproc, TextWriter stdout, TextWriter stderr, TimeSpan grace, int? configThreads)
    {
        _nproc = nproc;
        _configThreads = configThreads;
        // The ranks' output pumps and the launcher's own lines write from several threads.
        // Rank 0 may write to the launcher's terminal itself (RankProcess.Start) when that is where the launcher writes.
        _rank0ToTerminal = ReferenceEquals(stdout, Console.Out) && ReferenceEquals(stderr, Console.Error) && !Console.IsOutputRedirected;
        _stdout = TextWriter.Synchronized(stdout);
        _stderr = TextWriter.Synchronized(stderr);
        _grace = grace;
    }

    private string Name => $"lrt train --nproc {_nproc}";

    /// <summary>
    /// Runs <c>lrt train <paramref name="trainArgs"/></c> as <paramref name="nproc"/> ranks meeting at 127.0.0.1:
    /// <paramref name="masterPort"/> (a free port when null) and returns the launcher's exit code: 0 when every rank
    /// exited 0, 130 when the run was cancelled, otherwise the first failing rank's code (1 for a rank killed by a signal).
    /// Unless the config (<paramref name="configThreads"/>, its <c>train.num_threads</c>) or LRT_NUM_THREADS chooses, each
    /// rank gets its share of the cores (<see cref="ThreadsPerRank"/>).
    /// </summary>
    public static int Run(IReadOnlyList<string> trainArgs, int nproc, int? masterPort, TextWriter stdout, TextWriter stderr, TimeSpan? gracePeriod = null,
                          int? configThreads = null)
    {
        ArgumentNullException.ThrowIfNull(trainArgs);
        ArgumentOutOfRangeException.ThrowIfLessThan(nproc, 2);
        return new LocalLauncher(nproc, stdout, stderr, gracePeriod ?? DefaultGracePeriod, configThreads).Launch(trainArgs, masterPort ?? ProcessGroup.FreeLoopbackPort());
    }

    /// <summary>The variable that sets a process's intra-op threads when the config does not (<c>train.num_threads</c>).</summary>
    public const string ThreadsVariable = "LRT_NUM_THREADS";

    /// <summary>
    /// The intra-op threads each of <paramref name="nproc"/> ranks gets: the cores shared out, ⌊cores / nproc⌋ (at least 1),
    /// so N ranks do not each start a thread per core and fight over them (torchrun sets OMP_NUM_THREADS=1 for the same
    /// reason); null when the user chose already (LRT_NUM_THREADS set, which then passes through).
    /// </summary>
    public static int? ThreadsPerRank(Func<string, string?> environment, int cores, int nproc)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrEmpty(environment(ThreadsVariable))) return null;
        return Math.Max(1, cores / nproc);
    }

    private int Launch(IReadOnlyList<string> trainArgs, int port)
    {
        var (program, leading) = SelfCommand.Current();
        var args = leading.Append("train").Concat(trainArgs).ToList();
        // The launcher stays alive through every signal (it must report how the ranks ended); the ranks decide what a
        // signal means: the first saves a checkpoint and stops, a second kills.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        // train.num_threads, when the config sets it, wins over the variable in every rank anyway.
        var threads = _configThreads is null ? ThreadsPerRank(Environment.GetEnvironmentVariable, Environment.ProcessorCount, _nproc) : null;
        if (threads is not null) _stdout.WriteLine($"{Name}: each rank uses {threads} intra-op thread(s) ({ThreadsVariable}; set it, or train.num_threads, to choose)");
        try
        {
            for (var rank = 0; rank < _nproc; rank++)
            {
                var environment = new Dictionary<string, string>
                {
                    [TorchrunEnvironment.RankVariable] = Text(rank),
                    [TorchrunEnvironment.LocalRankVariable] = Text(rank),
                    [TorchrunEnvironment.WorldSizeVariable] = Text(_nproc),
                    [TorchrunEnvironment.MasterAddrVariable] = "127.0.0.1",
                    [TorchrunEnvironment.MasterPortVariable] = Text(port),
                    [LauncherWatch.Variable] = Text(Environment.ProcessId),
                };
                if (threads is { } n) environment[ThreadsVariable] = Text(n);
                RankProcess child;
                try
                {
                    child = RankProcess.Start(rank, program, args, environment, _stdout, _stderr, toTerminal: rank == 0 && _rank0ToTerminal);
                }
                catch (Win32Exception e)
                {
                    _stderr.WriteLine($"{Name}: cannot start rank {rank} with setsid (util-linux) and {program}: {e.Message}");
                    KillAll("could not start every rank");
                    return ExitCodes.Failure;
                }
                lock (_gate)
                {
                    _ranks.Add(child);
                    // A signal that came while the earlier ranks were starting reaches this one too, exactly once.
                    foreach (var signal in _received) child.Signal(signal);
                }
                _stdout.WriteLine($"{Name}: rank {rank} is pid {child.Pid}");
            }
            return Supervise();
        }
        finally
        {
            lock (_gate) _ranks.ForEach(r => r.Dispose());
        }
    }

    // Waits for every rank. The first failure (an exit other than 0 or 130) starts the grace period, after which what
    // is left is SIGKILLed: a data-parallel group with a rank missing can never make progress again.
    private int Supervise()
    {
        var pending = _ranks.ToList();
        int? first = null;
        RankProcess? failed = null;
        var clock = Stopwatch.StartNew();
        TimeSpan? deadline = null;
        var killed = false;
        while (pending.Count > 0)
        {
            var next = Task.WhenAny(pending.Select(r => r.Exited));
            var wait = deadline is { } d ? Max(d - clock.Elapsed, TimeSpan.Zero) : Timeout.InfiniteTimeSpan;
            if (!next.Wait(wait))
            {
                if (killed)
                {
                    foreach (var r in pending) _stderr.WriteLine($"{Name}: rank {r.Rank} (pid {r.Pid}) did not exit even after SIGKILL; giving up on it");
                    break;
                }
                KillAll($"still running {_grace.TotalSeconds:0} s after rank {failed!.Rank} failed");
                killed = true;
                deadline = clock.Elapsed + AfterKill;
                continue;
            }
            var done = pending.First(r => r.Exited == next.Result);
            pending.Remove(done);
            var code = done.Exited.Result;
            if (code != ExitCodes.Ok) first ??= code;
            // Neither 0 nor 130 is a failure: a cancelled rank's peers stop at the same step, and rank 0 may still be
            // writing the checkpoint when the others have exited, so no grace clock may start on them.
            if (code is ExitCodes.Ok or ExitCodes.Cancelled) continue;
            _stderr.WriteLine($"{Name}: rank {done.Rank} (pid {done.Pid}) {RankProcess.Describe(code)}");
            if (failed is null && pending.Count > 0)
            {
                failed = done;
                deadline = clock.Elapsed + _grace;
                _stderr.WriteLine($"{Name}: waiting up to {_grace.TotalSeconds:0} s for the other ranks to stop");
            }
        }
        return first switch
        {
            null => ExitCodes.Ok,
            { } code when RankProcess.SignalOf(code) is not null => ExitCodes.Failure,
            { } code => code,
        };
    }

    private void KillAll(string why)
    {
        lock (_gate)
        {
            foreach (var r in _ranks.Where(r => !r.HasExited))
            {
                _stderr.WriteLine($"{Name}: rank {r.Rank} (pid {r.Pid}) {why}; sending SIGKILL");
                r.Signal(Libc.SigKill);
            }
        }
    }

    private void Forward(PosixSignalContext context)
    {
        context.Cancel = true;
        var signal = context.Signal == PosixSignal.SIGINT ? Libc.SigInt : Libc.SigTerm;
        lock (_gate)
        {
            _received.Add(signal);
            foreach (var r in _ranks) r.Signal(signal);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
