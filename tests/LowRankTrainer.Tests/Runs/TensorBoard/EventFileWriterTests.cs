using System.Net;
using System.Text.RegularExpressions;
using LowRankTrainer.Runs.TensorBoard;

namespace LowRankTrainer.Tests.Runs.TensorBoard;

/// <summary>Event files as the independent Python reader sees them: name, header, flushing, and a truncated tail.</summary>
public sealed class EventFileWriterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lrt-tb-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public void FileName_AndHeader_FollowPyTorchsSummaryWriter()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddMilliseconds(250);
        using var writer = new EventFileWriter(Path.Combine(_root, "tb"), new FixedTime(at));
        var name = Path.GetFileName(writer.FilePath);
        // 2026-01-02T03:04:05Z is 1767323045 s after the epoch.
        Assert.Matches(new Regex($@"^events\.out\.tfevents\.1767323045\.{Regex.Escape(Dns.GetHostName())}\.{Environment.ProcessId}\.\d+$"), name);
        using var second = new EventFileWriter(Path.Combine(_root, "tb"), new FixedTime(at));
        Assert.NotEqual(writer.FilePath, second.FilePath);   // same second, same process: the counter keeps them apart

        var file = EventFileReader.Read(writer.FilePath);
        var header = Assert.Single(file.Events);
        Assert.Equal(("brain.Event:2", 0L, 1767323045.25), (header.FileVersion, header.Step, header.WallTime));
        Assert.Empty(header.Values);
        Assert.Equal(0, file.TruncatedBytes);
    }

    [Fact]
    public void EveryEvent_IsReadable_BeforeTheWriterIsClosed()
    {
        using var writer = new EventFileWriter(_root);
        writer.WriteScalars(1, [("train/loss", 2.5)]);
        writer.WriteScalars(2, [("train/loss", 1.25), ("train/learning_rate", 1e-3)]);
        // Not disposed: a run killed now must still leave both events on disk.
        var file = EventFileReader.Read(writer.FilePath);
        Assert.Equal(3, file.Records);
        Assert.Equal([("train/loss", 2.5)], file.Events[1].Values);
        Assert.Equal(2, file.Events[2].Step);
        Assert.Equal([("train/loss", 1.25), ("train/learning_rate", (double)1e-3f)], file.Events[2].Values);
    }

    [Theory]
    [InlineData(1)]    // inside the length
    [InlineData(8)]    // the length, not its CRC
    [InlineData(12)]   // length and CRC, no data
    [InlineData(20)]   // part of the data
    [InlineData(-1)]   // all but the last byte of the data CRC
    public void TruncatedFile_DecodesEveryCompleteRecord(int keepOfLast)
    {
        string path;
        using (var writer = new EventFileWriter(_root))
        {
            path = writer.FilePath;
            for (var step = 1; step <= 3; step++) writer.WriteScalars(step, [("train/loss", 1.0 / step)]);
        }
        var whole = File.ReadAllBytes(path);
        var last = TfRecordWriter.Frame(TensorBoardEvent.Scalars(0, 3, [("train/loss", 1.0 / 3)])).Length;   // wall time has a fixed width
        var lastStart = whole.Length - last;
        var keep = keepOfLast > 0 ? keepOfLast : last + keepOfLast;
        var cut = Path.Combine(_root, "cut.tfevents");
        File.WriteAllBytes(cut, whole[..(lastStart + keep)]);

        var file = EventFileReader.Read(cut);
        Assert.Equal(3, file.Records);   // header + steps 1 and 2
        Assert.Equal([0L, 1, 2], file.Events.Select(e => e.Step));
        Assert.Equal((double)0.5f, file.Events[2].Values[0].Value);
        Assert.Equal(keep, file.TruncatedBytes);
    }

    [Theory]
    [InlineData(3, "length CRC mismatch")]   // a byte of the header event's length
    [InlineData(14, "data CRC mismatch")]    // a byte of its wall time
    public void TheReader_RejectsACorruptedByte(int offset, string reason)
    {
        string path;
        using (var writer = new EventFileWriter(_root)) path = writer.FilePath;
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidOperationException>(() => EventFileReader.Read(path));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
