using LowRankTrainer.Torch;

namespace LowRankTrainer.Data;

/// <summary>
/// <c>data.classes</c>: keeps the samples whose label is one of the listed classes and renumbers
/// them by position in the list, so <c>classes: [5, 6, 7, 8, 9]</c> trains a 5-way head on labels
/// 0–4 (class 5 → 0, …, class 9 → 4). This is the split used to build a distribution shift from one
/// dataset (pretrain on classes 0–4, adapt to 5–9; METHODS.md §9, "common pretrained base").
/// </summary>
public static class ClassSubset
{
    /// <summary>
    /// A new dataset (the source is untouched and still owned by the caller) with the samples of
    /// <paramref name="classes"/> in their original order and targets renumbered by list position.
    /// </summary>
    /// <param name="source">A classification dataset with int64 class-index targets of shape [N].</param>
    /// <param name="classes">Distinct class indices to keep, in the order that defines the new labels.</param>
    /// <param name="what">Names the dataset in errors (e.g. "data.classes (train split)").</param>
    /// <exception cref="ArgumentException">Empty or repeated classes, a class outside the dataset's labels,
    /// a class with no samples, or a dataset whose targets are not class indices.</exception>
    public static TensorDataset Select(TensorDataset source, IReadOnlyList<int> classes, string what)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0) throw new ArgumentException($"{what}: the class list is empty");
        if (source.Targets.DType != DType.Int64 || source.Targets.Rank != 1)
        {
            throw new ArgumentException($"{what}: needs class-index targets (int64, one per sample), but the targets are {source.Targets.DType} of rank {source.Targets.Rank}");
        }
        var newLabel = new Dictionary<long, long>();
        for (var i = 0; i < classes.Count; i++)
        {
            if (!newLabel.TryAdd(classes[i], i)) throw new ArgumentException($"{what}: class {classes[i]} is listed twice");
        }
        var known = source.ClassNames?.Count;
        foreach (var c in classes)
        {
            if (c < 0 || (known is { } k && c >= k)) throw new ArgumentException($"{what}: class {c} is not a label of this dataset (labels 0–{(known ?? 1) - 1})");
        }

        var labels = source.Targets.ToArray<long>();
        var keep = new List<long>();
        var kept = new List<long>();
        var perClass = new int[classes.Count];
        for (var row = 0; row < labels.Length; row++)
        {
            if (!newLabel.TryGetValue(labels[row], out var label)) continue;
            keep.Add(row);
            kept.Add(label);
            perClass[label]++;
        }
        for (var i = 0; i < classes.Count; i++)
        {
            if (perClass[i] == 0) throw new ArgumentException($"{what}: class {classes[i]} has no samples");
        }

        using var index = Tensor.From<long>(keep.ToArray(), [keep.Count]);
        var inputs = source.Inputs.IndexSelect(0, index);
        var targets = Tensor.From<long>(kept.ToArray(), [kept.Count]);
        var names = source.ClassNames is { } all ? classes.Select(c => all[c]).ToList() : null;
        return new TensorDataset(inputs, targets, names);
    }
}
