namespace LowRankTrainer.Experiments;

/// <summary>
/// Which runs a table or plot reads: the run groups (empty = all) and key filters (<c>where: {adapter.r: [2, 4]}</c>:
/// a run matches when its value of every listed key is one of the listed values, compared canonically).
/// </summary>
/// <param name="Groups">Group names; empty selects every group.</param>
/// <param name="Where">Key → accepted canonical values.</param>
public sealed record RunFilter(IReadOnlyList<string> Groups, IReadOnlyDictionary<string, IReadOnlyList<string>> Where)
{
    /// <summary>Selects every run.</summary>
    public static RunFilter All { get; } = new([], new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>Whether <paramref name="record"/> passes.</summary>
    public bool Matches(RunRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Groups.Count > 0 && !Groups.Contains(record.Value(RunRecord.GroupKey) ?? "")) return false;
        return Where.All(w => record.Value(w.Key) is { } v && w.Value.Contains(v));
    }
}

/// <summary>
/// "Pick the best value of <see cref="Key"/> per row": for a learning-rate sweep, the row reports the runs at the rate whose
/// mean <see cref="By"/> is best (highest when <see cref="Maximize"/>), and a column shows which rate that was.
/// </summary>
/// <param name="Key">The key whose value is chosen (e.g. <c>train.learning_rate</c>).</param>
/// <param name="By">The metric that decides.</param>
/// <param name="Maximize">True: higher is better (accuracy); false: lower (loss).</param>
public sealed record BestSpec(string Key, string By, bool Maximize);

/// <summary>
/// A table column: a metric aggregated over the runs of a row (mean ± sample std, or the first run's value). A metric
/// ending in <c>.*</c> (<c>eval_accuracy_by_dim.*</c>) expands into one column per suffix the runs hold, in numeric
/// order, labelled with <see cref="Label"/>'s <c>{}</c> replaced by the suffix.
/// </summary>
/// <param name="Metric">A summary.json field (dotted for nested maps).</param>
/// <param name="Label">The column header.</param>
/// <param name="Scale">Multiplies the values (100 for percentages).</param>
/// <param name="Digits">Decimals shown.</param>
/// <param name="Aggregate"><c>mean</c> (with ± std when there are several runs) or <c>first</c>.</param>
/// <param name="Pivot">A key whose values become columns (one per value, only that value's runs, <c>{}</c> in the label
/// replaced by the value's display name). Columns that end up with the same label are one column: a row shows the
/// first that has a value — so separately trained models (a <c>model.hidden_sizes</c> pivot) line up under the same
/// headers as one model's per-size metrics (a <c>.*</c> metric).</param>
/// <param name="Where">Only runs matching this filter count towards the column.</param>
public sealed record ColumnSpec(string Metric, string Label, double Scale = 1, int Digits = 4, string Aggregate = "mean", string? Pivot = null, RunFilter? Where = null);

/// <summary>
/// A threshold column: the smallest value of the table's x key at which the seed-mean metric reaches the target — an
/// absolute value, or <see cref="Fraction"/> of the mean metric of the baseline group's runs that agree with the row
/// on the <see cref="Match"/> keys (Li et al. 2018's d_int90: 90 % of the directly trained model's accuracy).
/// </summary>
/// <param name="Label">The column header.</param>
/// <param name="Absolute">An absolute target, or null.</param>
/// <param name="BaselineGroups">The groups holding the baseline runs (empty for an absolute target).</param>
/// <param name="Fraction">The fraction of the baseline's mean.</param>
/// <param name="Match">Keys on which baseline and row must agree.</param>
public sealed record ThresholdSpec(string Label, double? Absolute, IReadOnlyList<string> BaselineGroups, double Fraction, IReadOnlyList<string> Match);

/// <summary>
/// One results table: rows are the distinct values of <see cref="Rows"/> among the selected runs (the runs of a row are
/// its seeds), columns the aggregated metrics; a threshold table (<see cref="X"/> and <see cref="Thresholds"/> set)
/// instead has one row per series and one column per threshold.
/// </summary>
/// <param name="Name">Identifier (also used by reported.csv).</param>
/// <param name="Title">Heading above the table.</param>
/// <param name="Filter">Which runs.</param>
/// <param name="Rows">The keys that identify a row.</param>
/// <param name="Columns">Metric columns.</param>
/// <param name="Best">Optional best-of selection per row.</param>
/// <param name="X">Threshold tables: the swept key.</param>
/// <param name="Metric">Threshold tables: the metric compared with the targets.</param>
/// <param name="Thresholds">Threshold tables: the target columns.</param>
/// <param name="SeedKey">The key that tells seeds apart (per-seed thresholds).</param>
public sealed record TableSpec(
    string Name,
    string Title,
    RunFilter Filter,
    IReadOnlyList<string> Rows,
    IReadOnlyList<ColumnSpec> Columns,
    BestSpec? Best = null,
    string? X = null,
    string? Metric = null,
    IReadOnlyList<ThresholdSpec>? Thresholds = null,
    string SeedKey = "train.seed");

/// <summary>
/// A dashed horizontal reference line: <see cref="Fraction"/> × the mean y of the runs that <see cref="Runs"/> selects
/// (e.g. 90 % of the directly trained model), or an absolute y.
/// </summary>
/// <param name="Label">Legend text.</param>
/// <param name="Runs">The runs whose mean y is the reference, or null for <see cref="Value"/>.</param>
/// <param name="Fraction">Multiplies the runs' mean.</param>
/// <param name="Value">An absolute y (before the plot's y scale), used when <see cref="Runs"/> is null.</param>
public sealed record ReferenceLineSpec(string Label, RunFilter? Runs, double Fraction, double? Value);

/// <summary>
/// One line plot: a series per distinct value of <see cref="Series"/>, a point per distinct x (a config key or a
/// metric such as <c>num_trainable_params</c>) at the mean y with ± std error bars over the point's runs. A y metric
/// ending in <c>.*</c> plots every suffix as x (<c>eval_accuracy_by_dim.*</c> → accuracy against nesting size).
/// </summary>
/// <param name="Name">File name (<c>plots/&lt;name&gt;.svg</c>).</param>
/// <param name="Title">Plot title.</param>
/// <param name="Filter">Which runs.</param>
/// <param name="X">Key or metric on the x axis (<c>*</c> with a wildcard y).</param>
/// <param name="Y">Metric on the y axis.</param>
/// <param name="Series">Keys that make a series.</param>
/// <param name="XLabel">x-axis title.</param>
/// <param name="YLabel">y-axis title.</param>
/// <param name="LogX">log10 x axis.</param>
/// <param name="LogY">log10 y axis.</param>
/// <param name="YScale">Multiplies y (100 for percent).</param>
/// <param name="Best">Optional best-of selection per point (as in tables).</param>
/// <param name="References">Horizontal reference lines.</param>
/// <param name="Layers">More lines drawn on the same axes from other runs (their own filter, x, y, series; the plot's
/// scale and axes), e.g. separately trained models beside one model's per-size metrics.</param>
public sealed record PlotSpec(
    string Name,
    string Title,
    RunFilter Filter,
    string X,
    string Y,
    IReadOnlyList<string> Series,
    string XLabel,
    string YLabel,
    bool LogX = false,
    bool LogY = false,
    double YScale = 1,
    BestSpec? Best = null,
    IReadOnlyList<ReferenceLineSpec>? References = null,
    IReadOnlyList<PlotLayer>? Layers = null);

/// <summary>Extra lines of a plot: runs, x, y and series as in <see cref="PlotSpec"/>.</summary>
/// <param name="Filter">Which runs.</param>
/// <param name="X">Key or metric on x (<c>*</c> with a wildcard y). A key whose values are not numbers uses their display names.</param>
/// <param name="Y">Metric on y.</param>
/// <param name="Series">Series keys.</param>
/// <param name="Best">Optional best-of selection per point.</param>
public sealed record PlotLayer(RunFilter Filter, string X, string Y, IReadOnlyList<string> Series, BestSpec? Best = null);
