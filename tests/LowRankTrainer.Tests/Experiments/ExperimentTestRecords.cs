using LowRankTrainer.Experiments;

namespace LowRankTrainer.Tests.Experiments;

/// <summary>Hand-made run records for the report tests.</summary>
internal static class ExperimentTestRecords
{
    /// <summary>A successful run of <paramref name="group"/> with the given values and metrics.</summary>
    public static RunRecord Run(string group, (string Key, string Value)[] values, params (string Metric, double Value)[] metrics)
    {
        var v = values.ToDictionary(p => p.Key, p => p.Value);
        v[RunRecord.GroupKey] = group;
        v[RunRecord.RunKey] = string.Join("_", values.Select(p => p.Key + "-" + p.Value));
        return new RunRecord(v, metrics.ToDictionary(m => m.Metric, m => m.Value), "success", "/runs/" + group);
    }
}
