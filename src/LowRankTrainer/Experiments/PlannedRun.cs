using LowRankTrainer.Runs;

namespace LowRankTrainer.Experiments;

/// <summary>One run of an experiment: its group, its grid combination, and the overrides that make it.</summary>
/// <param name="Group">The run group.</param>
/// <param name="Name">The combination's folder name (<c>adapter.d-100_train.seed-1</c>; <c>base</c> when nothing is swept).</param>
/// <param name="ConfigPath">The group's config file.</param>
/// <param name="Overrides">The group's <c>set</c> (and quick <c>set</c>) then the combination, as <c>key=value</c>.</param>
public sealed record PlannedRun(RunGroup Group, string Name, string ConfigPath, IReadOnlyList<string> Overrides)
{
    /// <summary>
    /// Every run of <paramref name="manifest"/>, group by group in manifest order. The quick version applies the
    /// experiment's and the group's quick overrides, replaces the axes they name (the group's quick grid may also add
    /// axes), keeps only the first zipped combination, and leaves out groups marked <c>skip</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A grid cannot be parsed.</exception>
    public static IReadOnlyList<PlannedRun> Plan(ExperimentManifest manifest, bool quick)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var runs = new List<PlannedRun>();
        foreach (var group in manifest.Groups)
        {
            if (quick && group.QuickSkip) continue;
            var axes = SweepPlan.Parse(group.Grid).Axes.ToList();
            var overrides = new List<string>(group.Set);
            if (quick)
            {
                overrides.AddRange(manifest.QuickSet);
                overrides.AddRange(group.QuickSet);
                foreach (var axis in SweepPlan.Parse(manifest.QuickGrid).Axes)
                {
                    var i = axes.FindIndex(a => a.Key == axis.Key);
                    if (i >= 0) axes[i] = axis;
                }
                foreach (var axis in SweepPlan.Parse(group.QuickGrid).Axes)
                {
                    var i = axes.FindIndex(a => a.Key == axis.Key);
                    if (i >= 0) axes[i] = axis;
                    else axes.Add(axis);
                }
            }
            var grid = SweepPlan.Parse(axes.Select(a => $"{a.Key}=[{string.Join(", ", a.Values)}]").ToList());
            var zipped = SweepPlan.Parse(group.Zip).Axes;
            IReadOnlyList<IReadOnlyList<(string Key, string Value)>> zipCombinations = zipped.Count == 0
                ? [[]]
                : Enumerable.Range(0, quick ? 1 : zipped[0].Values.Count).Select(i => (IReadOnlyList<(string, string)>)zipped.Select(a => (a.Key, a.Values[i])).ToList()).ToList();
            foreach (var zip in zipCombinations)
            {
                foreach (var combination in grid.Combinations())
                {
                    IReadOnlyList<(string Key, string Value)> all = [.. zip, .. combination];
                    runs.Add(new PlannedRun(group, SweepPlan.RunName(all), Path.Combine(manifest.Folder, group.Config),
                        [.. overrides, .. all.Select(c => $"{c.Key}={c.Value}")]));
                }
            }
        }
        return runs;
    }
}
