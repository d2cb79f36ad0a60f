namespace LowRankTrainer.Experiments;

/// <summary>Mean and sample standard deviation (n − 1 in the denominator; 0 for a single value) of a set of runs.</summary>
/// <param name="Mean">The arithmetic mean.</param>
/// <param name="Std">The sample standard deviation.</param>
/// <param name="Count">How many values.</param>
public readonly record struct Stat(double Mean, double Std, int Count)
{
    /// <summary>The statistic of <paramref name="values"/>; null when there are none.</summary>
    public static Stat? Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.ToList();
        if (list.Count == 0) return null;
        var mean = list.Average();
        var std = list.Count > 1 ? Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1)) : 0;
        return new Stat(mean, std, list.Count);
    }
}
