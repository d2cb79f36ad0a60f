using LowRankTrainer.Experiments;
using LowRankTrainer.Training;

namespace LowRankTrainer.Runs;

/// <summary>
/// A run's own curves, drawn from its log history with <see cref="SvgLinePlot"/> when the run ends (finished,
/// cancelled or failed, with whatever was logged): <c>plots/loss.svg</c> (train loss against the global step, and
/// eval loss as a second series when the run evaluated) and <c>plots/learning_rate.svg</c> (the learning rate each
/// logged step used). A plot with no points is not written.
/// </summary>
public static class RunPlots
{
    /// <summary>The sub-folder of the run folder that holds the plots.</summary>
    public const string FolderName = "plots";

    /// <summary>Writes the plots of <paramref name="history"/> under <paramref name="runDirectory"/>; returns the files written.</summary>
    /// <param name="runDirectory">The run folder.</param>
    /// <param name="runName">Shown in the titles.</param>
    /// <param name="history">Every logged event of the run (<see cref="MetricsLog.History"/>).</param>
    public static IReadOnlyList<string> Write(string runDirectory, string runName, IReadOnlyList<MetricsEntry> history)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        ArgumentNullException.ThrowIfNull(runName);
        ArgumentNullException.ThrowIfNull(history);
        var written = new List<string>();
        var loss = Series("train loss", history, e => e.Loss);
        var evalLoss = Series("eval loss", history, e => e.EvalLoss);
        Save(written, runDirectory, "loss", Plot($"{runName}: loss", "loss", [loss, evalLoss], logWhenWide: true));
        // The schedule's shape (warm-up, linear or cosine decay) reads on a linear axis; a log axis turns a linear decay into a cliff.
        Save(written, runDirectory, "learning_rate", Plot($"{runName}: learning rate", "learning rate", [Series("learning rate", history, e => e.LearningRate)], logWhenWide: false));
        return written;
    }

    /// <summary>One point per event that has the value (non-finite ones left out: they have no place on an axis).</summary>
    public static PlotSeries Series(string name, IEnumerable<MetricsEntry> history, Func<MetricsEntry, double?> value) =>
        new(name, [.. history.Select(e => (e.Step, Value: value(e))).Where(p => p.Value is { } v && double.IsFinite(v)).Select(p => new PlotPoint(p.Step, p.Value!.Value, 0))]);

    /// <summary>
    /// The plot of the non-empty <paramref name="series"/>, or null when none has a point. With
    /// <paramref name="logWhenWide"/>, the y axis is logarithmic when every value is positive and they span at least a
    /// decade: a loss falls fast early and slowly later, and a linear axis flattens the later part.
    /// </summary>
    public static PlotData? Plot(string title, string yLabel, IReadOnlyList<PlotSeries> series, bool logWhenWide)
    {
        ArgumentNullException.ThrowIfNull(series);
        var drawn = series.Where(s => s.Points.Count > 0).ToList();
        if (drawn.Count == 0) return null;
        var ys = drawn.SelectMany(s => s.Points).Select(p => p.Y).ToList();
        var logY = logWhenWide && ys.Min() > 0 && ys.Max() / ys.Min() >= 10;
        return new PlotData(title, "step", logY ? yLabel + " (log scale)" : yLabel, LogX: false, logY, drawn, []);
    }

    private static void Save(List<string> written, string runDirectory, string name, PlotData? data)
    {
        if (data is null) return;
        var folder = Path.Combine(runDirectory, FolderName);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".svg");
        File.WriteAllText(path, SvgLinePlot.Render(data));
        written.Add(path);
    }
}
