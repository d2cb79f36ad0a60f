using LowRankTrainer.Training;

namespace LowRankTrainer.Runs.TensorBoard;

/// <summary>
/// <c>logging.report_to: [tensorboard]</c>: every <see cref="MetricsEntry"/> becomes one event in
/// <c>&lt;run folder&gt;/tensorboard/events.out.tfevents.*</c> at step = the global step, with a scalar per metric
/// under HF's tags (<see cref="TensorBoardTags"/>). A resumed run replays its log history into a fresh file, so the
/// newest file alone shows the whole curve (<c>tensorboard --logdir &lt;run folder&gt;/tensorboard</c>).
/// </summary>
public sealed class TensorBoardSink : IMetricsSink
{
    /// <summary>The sub-folder of the run folder that holds the event files.</summary>
    public const string FolderName = "tensorboard";

    private readonly EventFileWriter _writer;

    /// <summary>Starts a new event file under <c>&lt;runDirectory&gt;/tensorboard/</c>.</summary>
    public TensorBoardSink(string runDirectory, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        _writer = new EventFileWriter(Path.Combine(runDirectory, FolderName), time);
    }

    /// <summary>The event file being written.</summary>
    public string FilePath => _writer.FilePath;

    /// <inheritdoc/>
    public void Write(MetricsEntry entry)
    {
        var scalars = TensorBoardTags.Of(entry);
        if (scalars.Count > 0) _writer.WriteScalars(entry.Step, scalars);
    }

    /// <summary>Closes the event file.</summary>
    public void Dispose() => _writer.Dispose();
}
