using LowRankTrainer.Adapters;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Training;

namespace LowRankTrainer.Runs;

/// <summary>
/// Where a finished run's pieces are, found from whatever folder a user names: the run folder
/// (<c>runs/&lt;name&gt;/&lt;timestamp&gt;/</c>), its <c>final/</c>, or one of its <c>checkpoints/step-NNNNNN/</c>.
/// </summary>
/// <param name="RunDirectory">The run folder (holds <c>config.yaml</c>).</param>
/// <param name="ConfigFile">The run's resolved <c>config.yaml</c>.</param>
/// <param name="WeightsFolder">The folder whose weights are meant: the one named, or for a run folder its <c>final/</c>
/// (its latest checkpoint when there is no <c>final/</c>, e.g. after a cancelled run).</param>
public sealed record RunLocation(string RunDirectory, string ConfigFile, string WeightsFolder)
{
    /// <summary>The resolved config's file name in a run folder.</summary>
    public const string ConfigFileName = "config.yaml";

    /// <summary>The folder of the final weights in a run folder.</summary>
    public const string FinalFolderName = "final";

    /// <summary>The folder of the checkpoints in a run folder.</summary>
    public const string CheckpointsFolderName = "checkpoints";

    /// <summary>Whether <see cref="WeightsFolder"/> holds an adapter in PEFT's layout (<c>adapter_model.safetensors</c>).</summary>
    public bool HoldsAdapter => File.Exists(Path.Combine(WeightsFolder, AdapterCheckpoint.WeightsFile));

    /// <summary>The training step of <see cref="WeightsFolder"/> when it is a checkpoint; null for <c>final/</c>.</summary>
    public long? CheckpointStep => TrainingCheckpoint.StepOf(WeightsFolder);

    /// <summary>
    /// Finds the run that <paramref name="path"/> names: a run folder (weights from <c>final/</c>, else its latest
    /// checkpoint), a run's <c>final/</c>, or a run's <c>checkpoints/step-NNNNNN/</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No folder at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a run folder (nor inside one), a run folder without <c>config.yaml</c>, a run
    /// with neither <c>final/</c> nor a checkpoint, or a weights folder that holds no weights; each names the path.</exception>
    public static RunLocation Find(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            throw new InvalidDataException($"'{path}' is a file, not a run folder (give the run folder, its {FinalFolderName}/, or one of its {CheckpointsFolderName}/step-NNNNNN/)");
        }
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"no such folder: '{path}'");
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var parent = Path.GetDirectoryName(full);
        var grandparent = parent is null ? null : Path.GetDirectoryName(parent);

        if (HasConfig(full)) return FromRunFolder(path, full);
        if (Path.GetFileName(full) == FinalFolderName && parent is not null && HasConfig(parent))
        {
            return Checked(new RunLocation(parent, Path.Combine(parent, ConfigFileName), full));
        }
        if (TrainingCheckpoint.StepOf(full) is not null && parent is not null && Path.GetFileName(parent) == CheckpointsFolderName
            && grandparent is not null && HasConfig(grandparent))
        {
            return Checked(new RunLocation(grandparent, Path.Combine(grandparent, ConfigFileName), full));
        }

        // A folder shaped like a run (or inside one) that lacks only its config gets its own message.
        var runLike = new[] { full, parent, grandparent }.FirstOrDefault(d => d is not null && LooksLikeRun(d));
        if (runLike is not null)
        {
            throw new InvalidDataException($"'{runLike}' has no {ConfigFileName}: a run folder keeps the resolved config the run was trained with, " +
                                           "and the model cannot be rebuilt without it");
        }
        throw new InvalidDataException($"'{path}' is not a run folder: no {ConfigFileName} in it, nor above it as a run's {FinalFolderName}/ or " +
                                       $"{CheckpointsFolderName}/step-NNNNNN/ folder");
    }

    private static RunLocation FromRunFolder(string path, string run)
    {
        var config = Path.Combine(run, ConfigFileName);
        var final = Path.Combine(run, FinalFolderName);
        if (Directory.Exists(final)) return Checked(new RunLocation(run, config, final));
        var checkpoints = TrainingCheckpoint.List(Path.Combine(run, CheckpointsFolderName));
        if (checkpoints.Count == 0)
        {
            throw new InvalidDataException($"'{path}' has no {FinalFolderName}/ and no checkpoint ({CheckpointsFolderName}/step-NNNNNN/): " +
                                           "the run saved no weights (did it fail before its first save?)");
        }
        return Checked(new RunLocation(run, config, checkpoints[^1]));
    }

    // Weights in any of the layouts a run writes: PEFT's adapter, model.safetensors, or an HF folder's index of shards.
    private static RunLocation Checked(RunLocation location)
    {
        var folder = location.WeightsFolder;
        string[] files = [AdapterCheckpoint.WeightsFile, TrainingCheckpoint.ModelFile, HfWeightFiles.IndexFile];
        if (!files.Any(f => File.Exists(Path.Combine(folder, f))))
        {
            throw new InvalidDataException($"'{folder}' holds no weights (none of {string.Join(", ", files)})");
        }
        return location;
    }

    private static bool HasConfig(string folder) => File.Exists(Path.Combine(folder, ConfigFileName));

    private static bool LooksLikeRun(string folder) =>
        File.Exists(Path.Combine(folder, "summary.json")) || File.Exists(Path.Combine(folder, "metrics.jsonl"))
        || Directory.Exists(Path.Combine(folder, FinalFolderName)) && Directory.Exists(Path.Combine(folder, CheckpointsFolderName));
}
