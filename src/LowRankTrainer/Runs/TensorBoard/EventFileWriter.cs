using System.Globalization;
using System.Net;

namespace LowRankTrainer.Runs.TensorBoard;

/// <summary>
/// Writes one TensorBoard event file: a TFRecord file (<see cref="TfRecordWriter"/>) of <c>tensorflow.Event</c>
/// records (<see cref="TensorBoardEvent"/>) whose first record carries <c>file_version: "brain.Event:2"</c>. The file is
/// named as PyTorch's <c>SummaryWriter</c> (tensorboard's <c>EventFileWriter</c>) names it,
/// <c>events.out.tfevents.&lt;unix seconds, 10 digits&gt;.&lt;hostname&gt;.&lt;pid&gt;.&lt;n&gt;</c> (tensorboardX stops
/// after the hostname; the process id and a per-process counter keep two writers in the same second apart);
/// TensorBoard finds any file whose name contains <c>tfevents</c>. Unlike those writers, which queue events and flush
/// every two minutes, this one flushes every event, so a killed run leaves every logged point readable.
/// </summary>
public sealed class EventFileWriter : IDisposable
{
    private static int _counter = -1;

    private readonly TfRecordWriter _records;
    private readonly TimeProvider _time;

    /// <summary>Creates <paramref name="directory"/> if needed and a new event file in it, and writes the header event.</summary>
    public EventFileWriter(string directory, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(directory);
        var now = _time.GetUtcNow();
        var name = string.Create(CultureInfo.InvariantCulture,
            $"events.out.tfevents.{now.ToUnixTimeSeconds():D10}.{Dns.GetHostName()}.{Environment.ProcessId}.{Interlocked.Increment(ref _counter)}");
        FilePath = Path.Combine(directory, name);
        _records = new TfRecordWriter(new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read));
        _records.Write(TensorBoardEvent.Header(WallTime(now)));
    }

    /// <summary>The event file's full path.</summary>
    public string FilePath { get; }

    /// <summary>Appends one event with a scalar per (tag, value) at <paramref name="step"/>, stamped with the current time.</summary>
    public void WriteScalars(long step, IEnumerable<(string Tag, double Value)> values) =>
        _records.Write(TensorBoardEvent.Scalars(WallTime(_time.GetUtcNow()), step, values));

    // Event.wall_time: seconds since the Unix epoch, fractional (Python's time.time()).
    private static double WallTime(DateTimeOffset t) => (t - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

    /// <summary>Closes the file.</summary>
    public void Dispose() => _records.Dispose();
}
