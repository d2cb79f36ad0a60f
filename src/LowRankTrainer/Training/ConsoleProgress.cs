using System.Globalization;

namespace LowRankTrainer.Training;

/// <summary>
/// The console side of a run. Interactive: one line redrawn in place with <c>\r</c> (step/total,
/// loss, lr, samples/s, ETA), at most ten times a second; events (evaluations, checkpoints) print
/// on lines of their own. Not interactive (redirected, CI): plain lines at every log event only.
/// Every line (never the redrawn one) is also appended to <paramref name="log"/> (<c>train.log</c>).
/// </summary>
internal sealed class ConsoleProgress(TextWriter console, bool interactive, long totalSteps, TextWriter? log = null)
{
    private long _lastDrawTicks;
    private int _lastWidth;

    /// <summary>Prints a message on its own line (clearing the progress line first).</summary>
    public void Line(string message)
    {
        ClearProgress();
        console.WriteLine(message);
        console.Flush();
        log?.WriteLine(message);
    }

    /// <summary>After every step: redraws the progress line (interactive only, throttled).</summary>
    public void Step(long step, double? loss, double lr, double samplesPerSecond, TimeSpan? eta)
    {
        if (!interactive) return;
        var now = Environment.TickCount64;
        if (step < totalSteps && now - _lastDrawTicks < 100) return;
        _lastDrawTicks = now;
        var text = Describe(step, loss, lr, samplesPerSecond, eta);
        console.Write("\r" + text.PadRight(_lastWidth));
        console.Flush();
        _lastWidth = text.Length;
    }

    /// <summary>At a log event: a plain line when not interactive (with fp16's loss scale after the gradient norm).</summary>
    public void Log(MetricsEntry entry, TimeSpan? eta)
    {
        var text = Describe(entry.Step, entry.Loss, entry.LearningRate ?? 0, entry.SamplesPerSecond ?? 0, eta) +
                   (entry.GradNorm is { } g ? string.Create(CultureInfo.InvariantCulture, $" | grad_norm {g:G4}") : "") +
                   (entry.LossScale is { } s ? string.Create(CultureInfo.InvariantCulture, $" | loss_scale {s}") : "");
        if (interactive) log?.WriteLine(text);
        else Line(text);
    }

    /// <summary>Ends the progress line (before the final summary).</summary>
    public void Finish()
    {
        if (interactive && _lastWidth > 0)
        {
            console.WriteLine();
            _lastWidth = 0;
        }
    }

    private void ClearProgress()
    {
        if (!interactive || _lastWidth == 0) return;
        console.Write("\r" + new string(' ', _lastWidth) + "\r");
        _lastWidth = 0;
    }

    private string Describe(long step, double? loss, double lr, double samplesPerSecond, TimeSpan? eta) =>
        string.Create(CultureInfo.InvariantCulture,
            $"step {step}/{totalSteps} | loss {(loss is { } l ? l.ToString("F4", CultureInfo.InvariantCulture) : "-")} | lr {lr:0.###e+0} | {samplesPerSecond:F0} samples/s | ETA {FormatEta(eta)}");

    /// <summary>h:mm:ss, or "-" when unknown.</summary>
    public static string FormatEta(TimeSpan? eta) =>
        eta is { } e ? $"{(int)e.TotalHours}:{e.Minutes:D2}:{e.Seconds:D2}" : "-";
}
