using System.Globalization;
using LowRankTrainer.Training;

namespace LowRankTrainer.Runs;

/// <summary>
/// The folder of one run, <c>&lt;output_dir&gt;/&lt;run_name&gt;/&lt;yyyyMMdd-HHmmss&gt;/</c>
/// (ARCHITECTURE.md, "Run directory"): config.yaml, env.json, metrics.jsonl, metrics.csv,
/// checkpoints/step-NNNNNN/, final/, summary.json, plots/ (<see cref="RunPlots"/>) and, with
/// <c>logging.report_to: [tensorboard]</c>, tensorboard/ (<see cref="TensorBoard.TensorBoardSink"/>).
/// </summary>
public static class RunFolder
{
    /// <summary>The timestamp format of run folders (sorts chronologically as text).</summary>
    public const string TimestampFormat = "yyyyMMdd-HHmmss";

    /// <summary>
    /// Creates a new run folder named by <paramref name="now"/>; when a folder of that second already
    /// exists (two runs started within a second), a suffix <c>-1</c>, <c>-2</c>, … keeps them apart.
    /// </summary>
    public static string Create(string outputDir, string runName, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDir);
        ArgumentException.ThrowIfNullOrEmpty(runName);
        var parent = Path.Combine(outputDir, runName);
        Directory.CreateDirectory(parent);
        var stamp = now.ToString(TimestampFormat, CultureInfo.InvariantCulture);
        for (var i = 0; ; i++)
        {
            var path = Path.Combine(parent, i == 0 ? stamp : $"{stamp}-{i.ToString(CultureInfo.InvariantCulture)}");
            // CreateDirectory succeeds on an existing folder, so test first; a race between two
            // processes within the same second is not worth a lock file.
            if (Directory.Exists(path)) continue;
            Directory.CreateDirectory(path);
            return path;
        }
    }

    /// <summary>
    /// What <c>resume_from_checkpoint: auto</c> resumes from: the highest complete <c>step-*</c>
    /// checkpoint of the newest run folder of <paramref name="runName"/> that has one (newer folders
    /// without a checkpoint, e.g. a run that crashed early, are skipped); null when there is none.
    /// </summary>
    public static string? FindLatestCheckpoint(string outputDir, string runName)
    {
        var parent = Path.Combine(outputDir, runName);
        if (!Directory.Exists(parent)) return null;
        foreach (var run in Directory.GetDirectories(parent).OrderByDescending(RunOrder, StringComparer.Ordinal))
        {
            var checkpoints = TrainingCheckpoint.List(Path.Combine(run, "checkpoints"));
            if (checkpoints.Count > 0) return checkpoints[^1];
        }
        return null;
    }

    // "20260101-120000-2" after "20260101-120000-1" after "20260101-120000": pad the suffix.
    private static string RunOrder(string path)
    {
        var name = Path.GetFileName(path);
        var cut = name.Length > TimestampFormat.Length ? TimestampFormat.Length : name.Length;
        var suffix = name[cut..].TrimStart('-');
        return name[..cut] + "-" + suffix.PadLeft(6, '0');
    }
}
