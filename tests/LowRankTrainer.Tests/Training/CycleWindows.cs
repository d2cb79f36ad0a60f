using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Training;

/// <summary>Causal-LM data the tests can learn fast: windows of 8 tokens of the cycle 1, 2, …, 12, 1, 2, … with the next token as target.</summary>
internal static class CycleWindows
{
    /// <summary>
    /// <paramref name="rows"/> windows (row r starts at token r mod 12 + 1); with <paramref name="ignoreSome"/> the first
    /// target of every third row is -100 (ignore_index), so a loss must leave those positions out.
    /// </summary>
    public static TensorDataset Make(int rows, bool ignoreSome = false)
    {
        var ids = new long[rows * 8];
        var targets = new long[rows * 8];
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < 8; k++)
            {
                ids[r * 8 + k] = (r + k) % 12 + 1;
                targets[r * 8 + k] = ignoreSome && k == 0 && r % 3 == 0 ? -100 : (r + k + 1) % 12 + 1;
            }
        }
        return new TensorDataset(Tensor.From<long>(ids, [rows, 8]), Tensor.From<long>(targets, [rows, 8]));
    }
}
