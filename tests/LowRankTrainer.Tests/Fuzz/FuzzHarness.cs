using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Fuzz;

/// <summary>
/// Runs a fuzz target over a fixed number of seeded cases (issue #10): case i draws every random choice from
/// <c>new Random(i)</c>, so a failure names its seed and <c>LRT_FUZZ_SEED=i</c> replays exactly that case.
/// </summary>
/// <remarks>
/// <para><c>LRT_FUZZ_CASES</c> sets the number of cases per target (default <see cref="DefaultCases"/>, sized so the
/// whole fuzz suite stays well under a minute on two cores; <c>tools/fuzz.sh</c> runs 20,000). Seeds are 0 … N−1, so a
/// longer run covers every case of a shorter one.</para>
/// <para>A case passes when the parser succeeds or throws its documented exception with a message that names the file
/// and a position (the target checks that and returns a short outcome label, tallied in the test output). It fails on any
/// other exception, on a run longer than <see cref="HangLimit"/> (a hang), and on allocating more than
/// <see cref="AllocationLimit"/> managed bytes (a length field trusted before it is checked: the OutOfMemory of a big
/// input). The first <see cref="MaxReported"/> failures are reported together, each with its seed and mutations.</para>
/// </remarks>
internal static class FuzzHarness
{
    /// <summary>Cases per target when <c>LRT_FUZZ_CASES</c> is unset.</summary>
    public const int DefaultCases = 300;

    /// <summary>A case that runs longer than this is a hang.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    /// <summary>Managed bytes one case may allocate; every input is a few KB, so anything near this is a trusted length.</summary>
    public const long AllocationLimit = 64L << 20;

    private const int MaxReported = 10;

    /// <summary>The number of cases per target: <c>LRT_FUZZ_CASES</c>, else <see cref="DefaultCases"/>.</summary>
    public static int Cases =>
        int.TryParse(Environment.GetEnvironmentVariable("LRT_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : DefaultCases;

    /// <summary>The seeds to run: only <c>LRT_FUZZ_SEED</c> when it is set (a replay), else 0 … <see cref="Cases"/> − 1.</summary>
    public static IEnumerable<int> Seeds =>
        int.TryParse(Environment.GetEnvironmentVariable("LRT_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            ? [seed] : Enumerable.Range(0, Cases);

    /// <summary>
    /// Runs <paramref name="body"/> once per seed in a scratch folder (emptied between cases) and fails with every
    /// failing seed; <paramref name="body"/> returns the outcome label ("ok", an error kind) that the output tallies.
    /// </summary>
    public static void Run(ITestOutputHelper output, string target, Func<FuzzCase, string> body)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(body);
        var root = Path.Combine(Path.GetTempPath(), "lrt-fuzz-" + Guid.NewGuid().ToString("N"));
        var tally = new SortedDictionary<string, int>(StringComparer.Ordinal);
        // The first case of each kind of failure (exception type and throw site, or the message check that failed).
        var failures = new Dictionary<string, (int Count, string First)>(StringComparer.Ordinal);
        var failed = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ran = 0;
        try
        {
            foreach (var seed in Seeds)
            {
                var folder = Path.Combine(root, seed.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(folder);
                var fuzzCase = new FuzzCase(seed, folder);
                var (outcome, failure) = RunOne(fuzzCase, body);
                ran++;
                if (failure is not null)
                {
                    failed++;
                    var kind = failure.Kind;
                    failures[kind] = failures.TryGetValue(kind, out var seen) ? (seen.Count + 1, seen.First) : (1, Describe(target, fuzzCase, failure.Text));
                    if (kind == "hang") break; // the stuck thread keeps running; stop here
                }
                else
                {
                    tally[outcome!] = tally.GetValueOrDefault(outcome!) + 1;
                }
                TryDelete(folder);
            }
        }
        finally
        {
            TryDelete(root);
        }
        output.WriteLine($"fuzz {target}: {ran} cases in {watch.Elapsed.TotalSeconds:F1} s, {failed} failed");
        foreach (var (outcome, count) in tally) output.WriteLine($"  {count,6}  {outcome}");
        if (failed > 0)
        {
            var kinds = failures.OrderByDescending(f => f.Value.Count).Take(MaxReported)
                .Select(f => $"[{f.Value.Count} × {f.Key}] first: {f.Value.First}");
            Assert.Fail($"fuzz {target}: {failed} of {ran} cases failed, {failures.Count} kinds of failure (the first case of each below)\n\n{string.Join("\n\n", kinds)}");
        }
    }

    /// <summary>A failed case: <paramref name="Kind"/> groups like failures, <paramref name="Text"/> says what happened.</summary>
    private sealed record Failure(string Kind, string Text);

    private static (string? Outcome, Failure? Failure) RunOne(FuzzCase fuzzCase, Func<FuzzCase, string> body)
    {
        var task = Task.Factory.StartNew(() =>
        {
            // Measured whatever the outcome: a reader that allocates the size a damaged header claims and then
            // reports a short read has still trusted that size.
            var before = GC.GetAllocatedBytesForCurrentThread();
            string? outcome = null;
            Exception? error = null;
            try
            {
                outcome = body(fuzzCase);
            }
            catch (Exception e)
            {
                error = e;
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > AllocationLimit)
            {
                throw new FuzzFailure("allocation", $"allocated {allocated >> 20} MB of managed memory on a small input, then: {error?.GetType().Name}: {error?.Message ?? outcome}");
            }
            if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            return (outcome!, allocated);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!task.Wait(HangLimit)) return (null, new("hang", $"hang: still running after {HangLimit.TotalSeconds:F0} s"));
        }
        catch (AggregateException e) when (e.InnerException is { } inner)
        {
            if (inner is FuzzFailure f) return (null, new(f.Kind, f.Message));
            var site = inner.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
            return (null, new($"unexpected {inner.GetType().Name} {site}", $"unexpected {inner.GetType().FullName}: {inner.Message}\n{inner.StackTrace}"));
        }
        return (task.Result.Item1, null);
    }

    private static string Describe(string target, FuzzCase c, string failure) =>
        $"seed {c.Seed} (replay: LRT_FUZZ_SEED={c.Seed} dotnet test tests/LowRankTrainer.Tests -c Release --filter \"FullyQualifiedName~{target}\")\n" +
        $"  mutations: {(c.Log.Count == 0 ? "none" : string.Join("; ", c.Log))}\n  {failure}";

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A fuzz case's failure that is not an exception of the parser: a message without file or position.</summary>
/// <param name="kind">Groups like failures in the report (e.g. "no position: InvalidJson").</param>
/// <param name="message">The whole story, the offending message included.</param>
internal sealed class FuzzFailure(string kind, string message) : Exception(message)
{
    public string Kind { get; } = kind;
}

/// <summary>One fuzz case: its seed, its <see cref="Random"/>, a scratch folder and the log of what it mutated.</summary>
internal sealed class FuzzCase(int seed, string folder)
{
    public int Seed { get; } = seed;

    public Random Random { get; } = new(seed);

    public string Folder { get; } = folder;

    /// <summary>What the case did, in order: printed with a failure so the case can be understood without replaying it.</summary>
    public List<string> Log { get; } = [];

    public void Note(string what) => Log.Add(what.Length > 200 ? what[..200] + "…" : what);

    /// <summary>
    /// Asserts that an expected error's <paramref name="message"/> names <paramref name="file"/> (its path or file
    /// name) and a position matching <paramref name="position"/>; returns <paramref name="outcome"/> for the tally.
    /// </summary>
    public static string Located(string message, string file, Regex position, string outcome)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(position);
        if (!message.Contains(Path.GetFileName(file), StringComparison.Ordinal))
        {
            throw new FuzzFailure("no file: " + outcome, $"the error does not name the file {Path.GetFileName(file)}: {message}");
        }
        if (!position.IsMatch(message)) throw new FuzzFailure("no position: " + outcome, $"the error names no position (expected /{position}/): {message}");
        return outcome;
    }
}

/// <summary>Random choices shared by the fuzz targets.</summary>
internal static class FuzzRandom
{
    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A short random text: letters, digits, punctuation, quotes, escapes and non-ASCII characters.</summary>
    public static string Text(this Random random, int maxLength)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz ABC0123456789.,;:-_'\"\\/{}[]#&*!|>%@`\té€日本😀";
        var sb = new StringBuilder();
        var n = random.Next(maxLength + 1);
        for (var i = 0; i < n; i++)
        {
            var c = alphabet[random.Next(alphabet.Length)];
            if (char.IsHighSurrogate(c) || char.IsLowSurrogate(c)) sb.Append("😀");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Byte-level damage common to every format: truncation, bit flips, byte overwrites, insertions and deletions.
    /// <paramref name="hot"/> (start, length) is a region the mutation prefers half of the time (a header).
    /// </summary>
    public static byte[] Damage(this Random random, byte[] bytes, (int Start, int Length) hot, FuzzCase log)
    {
        var b = bytes.ToList();
        int Where() => hot.Length > 0 && random.Next(2) == 0
            ? Math.Min(b.Count, hot.Start + random.Next(hot.Length))
            : random.Next(b.Count + 1);
        switch (random.Next(6))
        {
            case 0:
            {
                var at = random.Next(b.Count + 1);
                log.Note($"truncate to {at} of {b.Count} bytes");
                b.RemoveRange(at, b.Count - at);
                break;
            }
            case 1 or 2:
            {
                var flips = 1 + random.Next(4);
                for (var i = 0; i < flips && b.Count > 0; i++)
                {
                    var at = Math.Min(Where(), b.Count - 1);
                    var bit = random.Next(8);
                    log.Note($"flip bit {bit} of byte {at}");
                    b[at] ^= (byte)(1 << bit);
                }
                break;
            }
            case 3:
            {
                if (b.Count == 0) break;
                var at = Math.Min(Where(), b.Count - 1);
                var value = random.Pick<byte>([0x00, 0xFF, 0x7F, 0x80, 0xC3, 0x09, 0x22, 0x7B, 0x7D, (byte)random.Next(256)]);
                log.Note($"overwrite byte {at} with 0x{value:X2}");
                b[at] = value;
                break;
            }
            case 4:
            {
                var at = Where();
                var count = 1 + random.Next(4);
                var inserted = Enumerable.Range(0, count).Select(_ => (byte)random.Next(256)).ToArray();
                log.Note($"insert {Convert.ToHexString(inserted)} at byte {at}");
                b.InsertRange(at, inserted);
                break;
            }
            default:
            {
                if (b.Count == 0) break;
                var at = Math.Min(Where(), b.Count - 1);
                var count = Math.Min(1 + random.Next(8), b.Count - at);
                log.Note($"delete {count} bytes at {at}");
                b.RemoveRange(at, count);
                break;
            }
        }
        return [.. b];
    }
}
