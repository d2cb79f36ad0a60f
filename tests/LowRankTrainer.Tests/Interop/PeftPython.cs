using System.ComponentModel;
using System.Diagnostics;
using LowRankTrainer.Tests.Checkpoints;

namespace LowRankTrainer.Tests.Interop;

/// <summary>
/// The Python that runs <c>tools/interop/peft_interop.py</c>: <c>$LRT_PYTHON</c>, else <c>python3</c> on the PATH. Whether
/// it can import torch, transformers, peft and safetensors is found once per test run, lazily: first a cheap
/// <c>importlib.util.find_spec</c> for each (no import), then, only when all four are there, the real imports.
/// </summary>
public static class PeftPython
{
    private static readonly Lazy<string?> Unavailable = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The interpreter.</summary>
    public static string Executable => Environment.GetEnvironmentVariable("LRT_PYTHON") is { Length: > 0 } p ? p : "python3";

    /// <summary>The helper script.</summary>
    public static string Script => Path.Combine(SafetensorsTestFiles.RepositoryRoot(), "tools", "interop", "peft_interop.py");

    /// <summary>The device PEFT's forward runs on (<c>$LRT_PEFT_DEVICE</c>, default <c>cpu</c>).</summary>
    public static string Device => Environment.GetEnvironmentVariable("LRT_PEFT_DEVICE") is { Length: > 0 } d ? d : "cpu";

    /// <summary>Why the PEFT interop tests cannot run here, or null when they can.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>The versions <c>peft_interop.py check</c> printed (JSON), once available.</summary>
    public static string Versions { get; private set; } = "";

    /// <summary>The outcome of one Python run.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr, string CommandLine)
    {
        /// <summary>Everything the run printed, for a test's output or a failure message.</summary>
        public string Describe() => $"$ {CommandLine}\n[exit {ExitCode}]\n--- stdout ---\n{Stdout.TrimEnd()}\n--- stderr ---\n{Stderr.TrimEnd()}";
    }

    /// <summary>Runs <c>peft_interop.py</c> with <paramref name="args"/>; a non-zero exit fails the test with Python's output.</summary>
    public static Result RunScript(params string[] args)
    {
        var result = Run([Script, .. args], TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0) Assert.Fail($"peft_interop.py {args[0]} failed:\n{result.Describe()}");
        return result;
    }

    /// <summary>Runs the interpreter with <paramref name="args"/> (no shell), offline, and waits at most <paramref name="timeout"/>.</summary>
    /// <exception cref="Win32Exception">The interpreter cannot be started.</exception>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/> (it is killed).</exception>
    public static Result Run(IReadOnlyList<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = SafetensorsTestFiles.RepositoryRoot(),
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        // The CUDA machine has no network: never let transformers or PEFT reach for the hub.
        info.Environment["HF_HUB_OFFLINE"] = "1";
        info.Environment["TRANSFORMERS_OFFLINE"] = "1";
        info.Environment["HF_HUB_DISABLE_TELEMETRY"] = "1";
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        var commandLine = Executable + " " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));
        using var process = Process.Start(info) ?? throw new Win32Exception($"{Executable} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{commandLine} did not finish in {timeout.TotalSeconds:F0} s; stderr so far:\n{stderr.Result}");
        }
        process.WaitForExit();   // lets the output readers finish
        return new Result(process.ExitCode, stdout.Result, stderr.Result, commandLine);
    }

    private static string? Probe()
    {
        const string findSpecs = "import importlib.util\n" +
                                 "print(' '.join(n for n in ('torch', 'transformers', 'peft', 'safetensors') if importlib.util.find_spec(n) is None))";
        Result found;
        try
        {
            found = Run(["-c", findSpecs], TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is Win32Exception or TimeoutException)
        {
            return $"PEFT interop needs {Executable} (set LRT_PYTHON to another interpreter): {e.Message}";
        }
        if (found.ExitCode != 0) return $"PEFT interop: {Executable} failed to look for modules:\n{found.Describe()}";
        if (found.Stdout.Trim() is { Length: > 0 } missing)
        {
            return $"PEFT interop needs torch, transformers, peft and safetensors in {Executable}; missing: {missing} " +
                   "(pip install torch transformers peft safetensors, or set LRT_PYTHON)";
        }
        Result check;
        try
        {
            check = Run([Script, "check"], TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException e)
        {
            return $"PEFT interop: importing torch, transformers, peft, safetensors timed out: {e.Message}";
        }
        if (check.ExitCode != 0) return $"PEFT interop: {Executable} cannot import torch, transformers, peft, safetensors:\n{check.Describe()}";
        Versions = check.Stdout.Trim();
        return null;
    }
}

/// <summary>A fact that runs only where <see cref="PeftPython"/> has torch, transformers, peft and safetensors; skipped with the reason otherwise.</summary>
public sealed class PeftInteropFactAttribute : FactAttribute
{
    public PeftInteropFactAttribute()
    {
        if (PeftPython.UnavailableReason is { } reason) Skip = reason;
    }
}
