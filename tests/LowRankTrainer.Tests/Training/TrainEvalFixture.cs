using LowRankTrainer.Data;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// A made-up training and evaluation set plus a scratch folder for run outputs, shared by the tiny-data training
/// fixtures; disposing frees both datasets and deletes the folder.
/// </summary>
internal abstract class TrainEvalFixture(string folderPrefix) : IDisposable
{
    /// <summary>The scratch folder (created by whoever writes into it).</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), folderPrefix + Guid.NewGuid().ToString("N"));

    /// <summary>The training set.</summary>
    public TensorDataset Train { get; protected init; } = null!;

    /// <summary>The evaluation set.</summary>
    public TensorDataset Eval { get; protected init; } = null!;

    public void Dispose()
    {
        Train.Dispose();
        Eval.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
