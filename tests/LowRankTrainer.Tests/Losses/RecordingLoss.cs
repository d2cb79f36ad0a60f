using LowRankTrainer.Losses;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Losses;

/// <summary>
/// A base loss that records what it was given (the embedding width of each call, and the inputs) and returns
/// Σ a·p — a simple value the tests can recompute by hand.
/// </summary>
internal sealed class RecordingLoss : IEmbeddingLoss
{
    public List<long> Widths { get; } = [];

    public List<(double[][] Anchors, double[][] Positives)> Inputs { get; } = [];

    public Tensor Compute(Tensor anchors, Tensor positives)
    {
        Widths.Add(anchors.Size(1));
        Inputs.Add((Reference.Rows(anchors), Reference.Rows(positives)));
        return (anchors * positives).Sum();
    }

    public static double Value(double[][] a, double[][] p) => a.Zip(p, (x, y) => x.Zip(y, (u, v) => u * v).Sum()).Sum();
}
