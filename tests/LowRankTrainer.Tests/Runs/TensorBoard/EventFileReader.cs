using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using LowRankTrainer.Tests.Checkpoints;

namespace LowRankTrainer.Tests.Runs.TensorBoard;

/// <summary>One decoded <c>tensorflow.Event</c>.</summary>
internal sealed record DecodedEvent(double WallTime, long Step, string? FileVersion, IReadOnlyList<(string Tag, double Value)> Values);

/// <summary>What the reference reader found in a file: the complete records, decoded, and the bytes of an incomplete tail.</summary>
internal sealed record DecodedEventFile(IReadOnlyList<DecodedEvent> Events, int Records, long TruncatedBytes);

/// <summary>
/// The independent reader: tests/fixtures/tensorboard/read_events.py, run with Debian's /usr/bin/python3 (or
/// <c>$LRT_TB_PYTHON</c>), which checks every record's two CRCs with crcmod's crc-32c and decodes the records with
/// Google's protobuf runtime. Missing packages fail the test with the install line (tools/setup.sh installs them),
/// never skip it.
/// </summary>
internal static class EventFileReader
{
    /// <summary>
    /// The interpreter: <c>$LRT_TB_PYTHON</c> when set, else Debian's /usr/bin/python3 (tools/setup.sh installs
    /// python3-protobuf and python3-crcmod for it). The GPU kit sets it to its reader-python, which runs a python3
    /// without those packages on the kit's pure-Python copies of them (tools/gpu/reader_python.sh).
    /// </summary>
    public static string Python => Environment.GetEnvironmentVariable(PythonVariable) is { Length: > 0 } p ? p : DebianPython;

    private const string PythonVariable = "LRT_TB_PYTHON";
    private const string DebianPython = "/usr/bin/python3";

    public static string Script => Path.Combine(SafetensorsTestFiles.RepositoryRoot(), "tests", "fixtures", "tensorboard", "read_events.py");

    public static DecodedEventFile Read(string eventFile)
    {
        var python = Python;
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(eventFile);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            var fix = python == DebianPython ? "apt-get install python3 python3-protobuf python3-crcmod (tools/setup.sh installs them)" : $"check ${PythonVariable}";
            throw new InvalidOperationException($"{python} cannot run ({e.Message}): {fix}", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(60_000)) throw new TimeoutException($"read_events.py {eventFile} did not finish in 60 s");
            if (process.ExitCode != 0) throw new InvalidOperationException($"read_events.py {eventFile} failed ({process.ExitCode}): {stderr.Result}");
            using var doc = JsonDocument.Parse(stdout);
            var root = doc.RootElement;
            var events = root.GetProperty("events").EnumerateArray().Select(e => new DecodedEvent(
                e.GetProperty("wall_time").GetDouble(),
                e.GetProperty("step").GetInt64(),
                e.GetProperty("file_version").ValueKind == JsonValueKind.Null ? null : e.GetProperty("file_version").GetString(),
                [.. e.GetProperty("values").EnumerateArray().Select(v => (v.GetProperty("tag").GetString()!, v.GetProperty("simple_value").GetDouble()))])).ToList();
            return new DecodedEventFile(events, root.GetProperty("records").GetInt32(), root.GetProperty("truncated_bytes").GetInt64());
        }
    }
}
