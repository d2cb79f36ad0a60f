using System.Globalization;

namespace LowRankTrainer.Experiments;

/// <summary>
/// Turns run records into results tables and plot data (<see cref="TableSpec"/>, <see cref="PlotSpec"/>). Runs that
/// share a row's key values are its repeats (seeds): cells show mean ± sample std over them and how many there were.
/// </summary>
/// <param name="records">The runs, in the order rows should first appear.</param>
/// <param name="names">Display names for values (<c>lora_sb</c> → <c>LoRA-SB</c>); values without one show as they are.</param>
/// <param name="labels">Display names for keys in table headers (<c>adapter.d</c> → <c>d</c>).</param>
public sealed class ReportBuilder(IReadOnlyList<RunRecord> records, IReadOnlyDictionary<string, string>? names = null, IReadOnlyDictionary<string, string>? labels = null)
{
    private readonly IReadOnlyList<RunRecord> _records = records.Where(r => r.Status == "success").ToList();
    private readonly IReadOnlyDictionary<string, string> _names = names ?? new Dictionary<string, string>();
    private readonly IReadOnlyDictionary<string, string> _labels = labels ?? new Dictionary<string, string>();

    /// <summary>The display text of a value.</summary>
    public string Display(string value) => _names.TryGetValue(value, out var n) ? n : value;

    private string Label(string key) => _labels.TryGetValue(key, out var l) ? l : key;

    /// <summary>Computes a table.</summary>
    /// <exception cref="ArgumentException">A threshold table's x value is not a number.</exception>
    public RenderedTable Table(TableSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var selected = _records.Where(spec.Filter.Matches).ToList();
        return spec.Thresholds is { Count: > 0 } ? ThresholdTable(spec, selected) : SummaryTable(spec, selected);
    }

    private RenderedTable SummaryTable(TableSpec spec, List<RunRecord> selected)
    {
        var columns = ExpandColumns(spec.Columns, selected).GroupBy(c => c.Label).ToList();
        var header = new List<string>(spec.Rows.Select(Label));
        if (spec.Best is { } best) header.Add("best " + Label(best.Key));
        header.Add("runs");
        header.AddRange(columns.Select(c => c.Key));
        var rows = new List<IReadOnlyList<string>>();
        var values = new Dictionary<(string, string), Stat>();
        foreach (var (key, runs) in GroupBy(selected, spec.Rows))
        {
            var (chosen, bestValue) = spec.Best is { } b ? PickBest(runs, b) : (runs, null);
            var rowLabel = string.Join(" / ", key.Select(Display));
            var cells = new List<string>(key.Select(Display));
            if (spec.Best is not null) cells.Add(bestValue is null ? "—" : Display(bestValue));
            cells.Add(chosen.Count.ToString(CultureInfo.InvariantCulture));
            foreach (var merged in columns)
            {
                var (column, stat) = merged.Select(c => (c, Aggregate(chosen, c))).FirstOrDefault(p => p.Item2 is not null, (merged.First(), null));
                cells.Add(stat is { } s ? Format(s, column) : "—");
                if (stat is { } v) values[(rowLabel, column.Label)] = v;
            }
            rows.Add(cells);
        }
        return new RenderedTable(spec.Name, spec.Title, spec.Rows.Count, header, rows, values);
    }

    private RenderedTable ThresholdTable(TableSpec spec, List<RunRecord> selected)
    {
        var x = spec.X ?? throw new ArgumentException($"table {spec.Name}: a threshold table needs x", nameof(spec));
        var metric = spec.Metric ?? throw new ArgumentException($"table {spec.Name}: a threshold table needs metric", nameof(spec));
        var header = new List<string>(spec.Rows.Select(Label)) { "runs" };
        header.AddRange(spec.Thresholds!.Select(t => t.Label));
        var rows = new List<IReadOnlyList<string>>();
        var values = new Dictionary<(string, string), Stat>();
        foreach (var (key, runs) in GroupBy(selected, spec.Rows))
        {
            var rowLabel = string.Join(" / ", key.Select(Display));
            var cells = new List<string>(key.Select(Display)) { runs.Count.ToString(CultureInfo.InvariantCulture) };
            foreach (var threshold in spec.Thresholds!)
            {
                var target = Target(threshold, runs[0], metric);
                if (target is not { } t)
                {
                    cells.Add("— (no baseline)");
                    continue;
                }
                var curve = Curve(runs, x, metric, spec.Name);
                if (curve.Count == 0)
                {
                    cells.Add("—");
                    continue;
                }
                var crossing = curve.FirstOrDefault(p => p.Mean >= t);
                var perSeed = runs.GroupBy(r => r.Value(spec.SeedKey) ?? "")
                    .Select(g => Curve(g.ToList(), x, metric, spec.Name).FirstOrDefault(p => p.Mean >= t))
                    .ToList();
                var maxX = curve[^1].X;
                var text = crossing.Count > 0 ? SvgLinePlot.Tick(crossing.X) : $"> {SvgLinePlot.Tick(maxX)}";
                text += string.Create(CultureInfo.InvariantCulture, $" (target {t:0.####}");
                if (perSeed.Count > 1) text += "; per seed " + string.Join(", ", perSeed.Select(p => p.Count > 0 ? SvgLinePlot.Tick(p.X) : $"> {SvgLinePlot.Tick(maxX)}"));
                cells.Add(text + ")");
                if (crossing.Count > 0) values[(rowLabel, threshold.Label)] = new Stat(crossing.X, 0, 1);
            }
            rows.Add(cells);
        }
        return new RenderedTable(spec.Name, spec.Title, spec.Rows.Count, header, rows, values);
    }

    // The seed-mean metric at every x of a series, in increasing x.
    private List<(double X, double Mean, int Count)> Curve(IEnumerable<RunRecord> runs, string x, string metric, string table) =>
        runs.Where(r => r.Metric(metric) is not null)
            .GroupBy(r => XValue(r, x, table))
            .Select(g => (g.Key, g.Average(r => r.Metric(metric)!.Value), g.Count()))
            .OrderBy(p => p.Key)
            .ToList();

    private double? Target(ThresholdSpec threshold, RunRecord row, string metric)
    {
        if (threshold.Absolute is { } absolute) return absolute;
        var baseline = _records.Where(r => threshold.BaselineGroups.Contains(r.Value(RunRecord.GroupKey) ?? "")
                && threshold.Match.All(k => r.Value(k) == row.Value(k)))
            .Select(r => r.Metric(metric)).OfType<double>().ToList();
        return baseline.Count == 0 ? null : threshold.Fraction * baseline.Average();
    }

    /// <summary>Computes a plot's series and reference lines.</summary>
    public PlotData Plot(PlotSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var series = new List<PlotSeries>();
        foreach (var layer in (IEnumerable<PlotLayer>)[new PlotLayer(spec.Filter, spec.X, spec.Y, spec.Series, spec.Best), .. spec.Layers ?? []])
        {
            series.AddRange(Lines(layer, spec));
        }
        var references = new List<PlotReference>();
        foreach (var reference in spec.References ?? [])
        {
            if (reference.Runs is null)
            {
                if (reference.Value is { } v) references.Add(new PlotReference(reference.Label, v * spec.YScale));
                continue;
            }
            var ys = _records.Where(reference.Runs.Matches).Select(r => r.Metric(spec.Y)).OfType<double>().ToList();
            if (ys.Count > 0) references.Add(new PlotReference(reference.Label, reference.Fraction * ys.Average() * spec.YScale));
        }
        return new PlotData(spec.Title, spec.XLabel, spec.YLabel, spec.LogX, spec.LogY, series, references);
    }

    private IEnumerable<PlotSeries> Lines(PlotLayer layer, PlotSpec spec)
    {
        var selected = _records.Where(layer.Filter.Matches).ToList();
        var wildcard = layer.Y.EndsWith(".*", StringComparison.Ordinal);
        foreach (var (key, runs) in GroupBy(selected, layer.Series))
        {
            var name = key.Count == 0 ? spec.YLabel : string.Join(", ", key.Select(Display));
            var points = new List<PlotPoint>();
            if (wildcard)
            {
                var prefix = layer.Y[..^1];
                foreach (var suffix in Suffixes(runs, prefix))
                {
                    if (!ValueOrder.TryNumber(suffix, out var xv)) continue;
                    if (Stat.Of(runs.Select(r => r.Metric(prefix + suffix)).OfType<double>()) is { } s) points.Add(new PlotPoint(xv, s.Mean * spec.YScale, s.Std * spec.YScale));
                }
            }
            else
            {
                foreach (var group in runs.GroupBy(r => XValue(r, layer.X, spec.Name)).OrderBy(g => g.Key))
                {
                    var (chosen, _) = layer.Best is { } b ? PickBest(group.ToList(), b) : (group.ToList(), null);
                    if (Stat.Of(chosen.Select(r => r.Metric(layer.Y)).OfType<double>()) is { } s)
                        points.Add(new PlotPoint(group.Key, s.Mean * spec.YScale, s.Std * spec.YScale));
                }
            }
            if (points.Count > 0) yield return new PlotSeries(name, points);
        }
    }

    // x of a run: a config value when the run has the key (its display name when the value itself is not a number), else a metric.
    private double XValue(RunRecord r, string x, string what)
    {
        if (r.Value(x) is { } text)
        {
            if (ValueOrder.TryNumber(text, out var v) || ValueOrder.TryNumber(Display(text), out v)) return v;
            throw new ArgumentException($"{what}: {x} = '{text}' in {r.Folder} is not a number (give it a numeric display name under names:)");
        }
        return r.Metric(x) ?? throw new ArgumentException($"{what}: run {r.Folder} has neither a config key nor a metric named {x}");
    }

    private static IEnumerable<(IReadOnlyList<string> Key, List<RunRecord> Runs)> GroupBy(List<RunRecord> runs, IReadOnlyList<string> keys)
    {
        var order = new List<IReadOnlyList<string>>();
        var groups = new Dictionary<string, List<RunRecord>>(StringComparer.Ordinal);
        foreach (var r in runs)
        {
            IReadOnlyList<string> key = keys.Select(k => r.Value(k) ?? "—").ToList();
            var id = string.Join("\u001f", key);
            if (!groups.TryGetValue(id, out var list))
            {
                groups[id] = list = [];
                order.Add(key);
            }
            list.Add(r);
        }
        return order.Select(k => (k, groups[string.Join("\u001f", k)]));
    }

    private static (List<RunRecord> Runs, string? Value) PickBest(List<RunRecord> runs, BestSpec best)
    {
        var candidates = runs.GroupBy(r => r.Value(best.Key) ?? "—")
            .Select(g => (Value: g.Key, Runs: g.ToList(), Score: g.Select(r => r.Metric(best.By)).OfType<double>().DefaultIfEmpty(double.NaN).Average()))
            .Where(c => !double.IsNaN(c.Score))
            .ToList();
        if (candidates.Count == 0) return (runs, null);
        var chosen = best.Maximize ? candidates.MaxBy(c => c.Score) : candidates.MinBy(c => c.Score);
        return (chosen.Runs, chosen.Value);
    }

    private List<ColumnSpec> ExpandColumns(IReadOnlyList<ColumnSpec> columns, List<RunRecord> runs)
    {
        var result = new List<ColumnSpec>();
        foreach (var c in columns)
        {
            if (c.Pivot is { } pivot)
            {
                var values = runs.Where(r => c.Where?.Matches(r) ?? true).Select(r => r.Value(pivot)).OfType<string>().Distinct().Order(ValueOrder.Instance);
                result.AddRange(values.Select(v => c with
                {
                    Label = c.Label.Replace("{}", Display(v), StringComparison.Ordinal),
                    Pivot = null,
                    Where = new RunFilter(c.Where?.Groups ?? [], new Dictionary<string, IReadOnlyList<string>>(c.Where?.Where ?? new Dictionary<string, IReadOnlyList<string>>()) { [pivot] = [v] }),
                }));
                continue;
            }
            if (!c.Metric.EndsWith(".*", StringComparison.Ordinal))
            {
                result.Add(c);
                continue;
            }
            var prefix = c.Metric[..^1];
            result.AddRange(Suffixes(runs, prefix).Select(s => c with { Metric = prefix + s, Label = c.Label.Replace("{}", s, StringComparison.Ordinal) }));
        }
        return result;
    }

    private static IEnumerable<string> Suffixes(IEnumerable<RunRecord> runs, string prefix) =>
        runs.SelectMany(r => r.Metrics.Keys).Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..])
            .Distinct().Order(ValueOrder.Instance);

    private static Stat? Aggregate(List<RunRecord> runs, ColumnSpec column)
    {
        var values = runs.Where(r => column.Where?.Matches(r) ?? true).Select(r => r.Metric(column.Metric)).OfType<double>().Select(v => v * column.Scale).ToList();
        if (values.Count == 0) return null;
        return column.Aggregate == "first" ? new Stat(values[0], 0, 1) : Stat.Of(values);
    }

    private static string Format(Stat s, ColumnSpec column)
    {
        var format = column.Digits <= 0 ? "#,0" : "0." + new string('0', column.Digits);
        var mean = s.Mean.ToString(format, CultureInfo.InvariantCulture);
        return s.Count > 1 && column.Aggregate != "first" ? mean + " ± " + s.Std.ToString(format, CultureInfo.InvariantCulture) : mean;
    }
}
