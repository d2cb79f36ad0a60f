using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LowRankTrainer.Cli.Tests.Launch;

/// <summary>
/// <c>dotnet lrt.dll ...</c> as a real process whose stdout and stderr lines are collected as they come, so a test can
/// wait for a line (the launcher's "rank r is pid N", rank 0's "run folder: ...") and then signal it.
/// </summary>
internal sealed class LrtProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    public LrtProcess(string workingDirectory, params string[] args)
        : this(workingDirectory, new Dictionary<string, string>(), args)
    {
    }

    /// <summary>Starts lrt with <paramref name="environment"/> added to this process's environment.</summary>
    public LrtProcess(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = LrtCommand.StartInfo(workingDirectory, args);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    /// <summary>Everything printed so far, stdout and stderr interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_gate) return _output.ToString();
        }
    }

    /// <summary>Waits for the exit and the end of its output; the exit code, or null when it did not exit in time.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return null;
        _process.WaitForExit(); // drains the asynchronous readers
        return _process.ExitCode;
    }

    /// <summary>The first line matching <paramref name="match"/>, waiting up to <paramref name="timeout"/> for it.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var line = Output.Split('\n').FirstOrDefault(match);
            if (line is not null) return line;
            Assert.True(clock.Elapsed < timeout && !_process.HasExited, $"no {what} after {clock.Elapsed.TotalSeconds:0.0} s\n{Output}");
            Thread.Sleep(20);
        }
    }

    /// <summary>The pid the launcher printed for <paramref name="rank"/>.</summary>
    public int RankPid(int rank, TimeSpan timeout)
    {
        var line = WaitForLine(l => l.Contains($": rank {rank} is pid ", StringComparison.Ordinal), timeout, $"pid line of rank {rank}");
        return int.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>Rank 0's run folder (its first line, unprefixed).</summary>
    public string RunFolder(TimeSpan timeout) =>
        WaitForLine(l => l.StartsWith("run folder: ", StringComparison.Ordinal), timeout, "run folder line")["run folder: ".Length..];

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    /// <summary>Sends a signal by name (INT, KILL, ...) to <paramref name="pid"/>.</summary>
    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>True while <paramref name="pid"/> is a live process (a zombie counts as gone).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The session id of <paramref name="pid"/> (/proc/PID/stat's sixth field).</summary>
    public static int SessionOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[3], CultureInfo.InvariantCulture); // state, ppid, pgrp, session
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_gate) _output.Append(line).Append('\n');
    }
}
