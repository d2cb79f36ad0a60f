using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data;

/// <summary><c>data.classes</c>: which rows survive, in which order, and how they are renumbered.</summary>
public class ClassSubsetTests
{
    private static TensorDataset Dataset(long[] labels)
    {
        // Row i's features are [i, 10·i], so a kept row can be traced back to its source row.
        var features = labels.Select((_, i) => new[] { (float)i, 10f * i }).SelectMany(r => r).ToArray();
        return new TensorDataset(Tensor.From<float>(features, [labels.Length, 2]), Tensor.From<long>(labels, [labels.Length]),
                                 ["c0", "c1", "c2", "c3"]);
    }

    [Fact]
    public void KeepsTheListedClassesInSourceOrder_RenumberedByListPosition()
    {
        using var source = Dataset([0, 3, 1, 2, 3, 0, 2]);
        using var subset = ClassSubset.Select(source, [3, 2], "test");
        // Rows with labels 3 or 2: 1 (3), 3 (2), 4 (3), 6 (2); class 3 → 0, class 2 → 1.
        Assert.Equal([1f, 10f, 3f, 30f, 4f, 40f, 6f, 60f], subset.Inputs.ToArray<float>());
        Assert.Equal([0L, 1L, 0L, 1L], subset.Targets.ToArray<long>());
        Assert.Equal(["c3", "c2"], subset.ClassNames);
        Assert.Equal(7, source.Count); // the source is untouched
    }

    [Theory]
    [InlineData(new[] { 1, 1 }, "class 1 is listed twice")]
    [InlineData(new[] { 4 }, "class 4 is not a label of this dataset (labels 0–3)")]
    [InlineData(new[] { 1, 3 }, "class 3 has no samples")]
    [InlineData(new int[0], "the class list is empty")]
    public void BadClassLists_AreErrorsNamingTheKey(int[] classes, string message)
    {
        using var source = Dataset([0, 1, 2, 1]);
        var e = Assert.Throws<ArgumentException>(() => ClassSubset.Select(source, classes, "data.classes (training split)"));
        Assert.Equal($"data.classes (training split): {message}", e.Message);
    }

    [Fact]
    public void RegressionTargets_AreRefused()
    {
        using var source = new TensorDataset(Tensor.Zeros([3, 2]), Tensor.Zeros([3]));
        var e = Assert.Throws<ArgumentException>(() => ClassSubset.Select(source, [0], "data.classes"));
        Assert.Contains("needs class-index targets", e.Message, StringComparison.Ordinal);
    }
}
