using System.Globalization;
using System.Xml.Linq;

namespace LowRankTrainer.Experiments;

/// <summary>One point of a series: x, the mean y, and the ± error drawn as a bar (0 for none).</summary>
public readonly record struct PlotPoint(double X, double Y, double YError);

/// <summary>A named line of points, drawn in x order.</summary>
public sealed record PlotSeries(string Name, IReadOnlyList<PlotPoint> Points);

/// <summary>A dashed horizontal reference line at <paramref name="Y"/>.</summary>
public sealed record PlotReference(string Label, double Y);

/// <summary>What a line plot shows.</summary>
public sealed record PlotData(
    string Title,
    string XLabel,
    string YLabel,
    bool LogX,
    bool LogY,
    IReadOnlyList<PlotSeries> Series,
    IReadOnlyList<PlotReference> References);

/// <summary>
/// Renders a line plot with error bars, reference lines and a legend as a standalone SVG 1.1 document, built with
/// <see cref="System.Xml.Linq"/> so it is well-formed by construction. Log axes take decades as ticks (with 2× and 5×
/// when the range spans under two decades); linear axes take 1-2-5 steps. Every series is a
/// <c>&lt;g class="series" data-name="…"&gt;</c> so tests and readers can find it.
/// </summary>
public static class SvgLinePlot
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    // Tableau 10: distinguishable, colour-blind-aware; dash patterns separate series beyond ten.
    private static readonly string[] Palette =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    private static readonly string[] Dashes = ["", "6,3", "2,2", "8,3,2,3"];

    private const double MinWidth = 760, Height = 460, Left = 78, Right = 560, Top = 44, Bottom = 392;

    // Legend text at 12 px averages under 7 px per character in DejaVu Sans; the canvas widens to fit the longest entry.
    private const double LegendCharWidth = 7;

    /// <summary>The SVG text of <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">There is nothing to draw, or a log axis meets a value ≤ 0.</exception>
    public static string Render(PlotData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var points = data.Series.SelectMany(s => s.Points).ToList();
        if (points.Count == 0) throw new ArgumentException($"plot '{data.Title}' has no points", nameof(data));
        if (data.LogX && points.Any(p => p.X <= 0)) throw new ArgumentException($"plot '{data.Title}': log x axis with x ≤ 0", nameof(data));
        var yValues = points.SelectMany(p => new[] { p.Y - p.YError, p.Y + p.YError }).Concat(data.References.Select(r => r.Y)).ToList();
        if (data.LogY && yValues.Any(v => v <= 0)) throw new ArgumentException($"plot '{data.Title}': log y axis with y ≤ 0", nameof(data));

        var x = Axis.Fit(points.Min(p => p.X), points.Max(p => p.X), data.LogX, Left, Right, pad: 0.04);
        var y = Axis.Fit(yValues.Min(), yValues.Max(), data.LogY, Bottom, Top, pad: 0.06);

        var longest = data.Series.Select(x => x.Name.Length).Concat(data.References.Select(r => r.Label.Length)).DefaultIfEmpty(0).Max();
        // Bold 15 px title characters are about 9 px wide; the title is centred over the whole canvas.
        var width = Math.Max(Math.Max(MinWidth, Right + 56 + LegendCharWidth * longest), 9.0 * data.Title.Length + 40);
        var root = new XElement(Svg + "svg",
            new XAttribute("width", F(width)), new XAttribute("height", F(Height)),
            new XAttribute("viewBox", $"0 0 {F(width)} {F(Height)}"),
            new XAttribute("font-family", "DejaVu Sans, Arial, sans-serif"), new XAttribute("font-size", "12"));
        root.Add(new XElement(Svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")));
        root.Add(Text(width / 2, 24, data.Title, "middle", 15, bold: true));
        root.Add(GridAndTicks(x, y));
        root.Add(new XElement(Svg + "rect", Attr("x", Left), Attr("y", Top), Attr("width", Right - Left), Attr("height", Bottom - Top),
            new XAttribute("fill", "none"), new XAttribute("stroke", "#333")));
        root.Add(Text((Left + Right) / 2, Height - 28, data.XLabel, "middle", 13));
        var yTitle = Text(18, (Top + Bottom) / 2, data.YLabel, "middle", 13);
        yTitle.Add(new XAttribute("transform", $"rotate(-90 18 {F((Top + Bottom) / 2)})"));
        root.Add(yTitle);

        var legendY = Top + 6.0;
        for (var i = 0; i < data.References.Count; i++)
        {
            var reference = data.References[i];
            var py = y.Map(reference.Y);
            root.Add(new XElement(Svg + "g", new XAttribute("class", "reference"), new XAttribute("data-name", reference.Label),
                Line(Left, py, Right, py, "#555", 1.2, "5,4")));
            root.Add(Line(Right + 16, legendY + 6, Right + 44, legendY + 6, "#555", 1.2, "5,4"));
            root.Add(Text(Right + 50, legendY + 10, reference.Label, "start", 12));
            legendY += 20;
        }
        for (var i = 0; i < data.Series.Count; i++)
        {
            var series = data.Series[i];
            var color = Palette[i % Palette.Length];
            var dash = Dashes[i / Palette.Length % Dashes.Length];
            var group = new XElement(Svg + "g", new XAttribute("class", "series"), new XAttribute("data-name", series.Name));
            var ordered = series.Points.OrderBy(p => p.X).ToList();
            if (ordered.Count > 1)
            {
                group.Add(new XElement(Svg + "polyline",
                    new XAttribute("points", string.Join(" ", ordered.Select(p => F(x.Map(p.X)) + "," + F(y.Map(p.Y))))),
                    new XAttribute("fill", "none"), new XAttribute("stroke", color), new XAttribute("stroke-width", "2"),
                    dash.Length > 0 ? new XAttribute("stroke-dasharray", dash) : null));
            }
            foreach (var p in ordered)
            {
                var px = x.Map(p.X);
                if (p.YError > 0)
                {
                    var lo = y.Map(p.Y - p.YError);
                    var hi = y.Map(p.Y + p.YError);
                    group.Add(Line(px, lo, px, hi, color, 1.2), Line(px - 4, lo, px + 4, lo, color, 1.2), Line(px - 4, hi, px + 4, hi, color, 1.2));
                }
                group.Add(new XElement(Svg + "circle", Attr("cx", px), Attr("cy", y.Map(p.Y)), new XAttribute("r", "3.5"),
                    new XAttribute("fill", color),
                    new XElement(Svg + "title", $"{series.Name}: x = {Tick(p.X)}, y = {Tick(p.Y)}{(p.YError > 0 ? " ± " + Tick(p.YError) : "")}")));
            }
            root.Add(group);
            root.Add(Line(Right + 16, legendY + 6, Right + 44, legendY + 6, color, 2, dash.Length > 0 ? dash : null));
            root.Add(new XElement(Svg + "circle", Attr("cx", Right + 30), Attr("cy", legendY + 6), new XAttribute("r", "3.5"), new XAttribute("fill", color)));
            root.Add(Text(Right + 50, legendY + 10, series.Name, "start", 12));
            legendY += 20;
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root + "\n";
    }

    private static IEnumerable<XElement> GridAndTicks(Axis x, Axis y)
    {
        foreach (var t in x.Ticks())
        {
            var px = x.Map(t);
            yield return Line(px, Top, px, Bottom, "#e4e4e4", 1);
            yield return Line(px, Bottom, px, Bottom + 5, "#333", 1);
            yield return Text(px, Bottom + 19, Tick(t), "middle", 11);
        }
        foreach (var t in y.Ticks())
        {
            var py = y.Map(t);
            yield return Line(Left, py, Right, py, "#e4e4e4", 1);
            yield return Line(Left - 5, py, Left, py, "#333", 1);
            yield return Text(Left - 8, py + 4, Tick(t), "end", 11);
        }
    }

    private static XElement Line(double x1, double y1, double x2, double y2, string color, double width, string? dash = null) =>
        new(Svg + "line", Attr("x1", x1), Attr("y1", y1), Attr("x2", x2), Attr("y2", y2),
            new XAttribute("stroke", color), new XAttribute("stroke-width", F(width)),
            dash is null ? null : new XAttribute("stroke-dasharray", dash));

    private static XElement Text(double x, double y, string text, string anchor, double size, bool bold = false) =>
        new(Svg + "text", Attr("x", x), Attr("y", y), new XAttribute("text-anchor", anchor), new XAttribute("font-size", F(size)),
            bold ? new XAttribute("font-weight", "bold") : null, text);

    private static XAttribute Attr(string name, double value) => new(name, F(value));

    private static string F(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A tick label: plain decimals for moderate magnitudes, <c>1e-05</c> style otherwise.</summary>
    internal static string Tick(double v)
    {
        if (v == 0) return "0";
        var a = Math.Abs(v);
        if (a >= 1e6 || a < 1e-3) return v.ToString("0.##e+0", CultureInfo.InvariantCulture).Replace("e+", "e", StringComparison.Ordinal);
        return v.ToString(a >= 1000 ? "#,0.##" : "0.####", CultureInfo.InvariantCulture);
    }

    /// <summary>A data range mapped onto pixels, linear or log10.</summary>
    public sealed class Axis
    {
        private readonly double _lo, _hi, _from, _to;
        private readonly bool _log;

        private Axis(double lo, double hi, bool log, double from, double to)
        {
            (_lo, _hi, _log, _from, _to) = (lo, hi, log, from, to);
        }

        /// <summary>An axis over [min, max] widened by <paramref name="pad"/> of the span (in log space for log axes).</summary>
        public static Axis Fit(double min, double max, bool log, double from, double to, double pad)
        {
            var lo = log ? Math.Log10(min) : min;
            var hi = log ? Math.Log10(max) : max;
            if (hi - lo < 1e-12)
            {
                var half = log ? 0.5 : Math.Max(Math.Abs(lo) * 0.1, 0.5);
                lo -= half;
                hi += half;
            }
            var span = hi - lo;
            return new Axis(lo - pad * span, hi + pad * span, log, from, to);
        }

        /// <summary>The pixel of data value <paramref name="v"/>.</summary>
        public double Map(double v)
        {
            var t = ((_log ? Math.Log10(v) : v) - _lo) / (_hi - _lo);
            return _from + t * (_to - _from);
        }

        /// <summary>Tick values inside the axis range.</summary>
        public IEnumerable<double> Ticks()
        {
            if (_log)
            {
                var decades = Enumerable.Range((int)Math.Ceiling(_lo - 1e-9), Math.Max(0, (int)Math.Floor(_hi + 1e-9) - (int)Math.Ceiling(_lo - 1e-9) + 1))
                    .Select(k => Math.Pow(10, k)).ToList();
                if (_hi - _lo >= 2 && decades.Count >= 2) return decades;
                var all = new List<double>();
                for (var k = (int)Math.Floor(_lo); k <= (int)Math.Ceiling(_hi); k++)
                {
                    foreach (var m in new[] { 1.0, 2, 5 })
                    {
                        var v = m * Math.Pow(10, k);
                        var lv = Math.Log10(v);
                        if (lv >= _lo - 1e-9 && lv <= _hi + 1e-9) all.Add(v);
                    }
                }
                return all;
            }
            var step = NiceStep((_hi - _lo) / 6);
            var first = Math.Ceiling(_lo / step) * step;
            var ticks = new List<double>();
            for (var v = first; v <= _hi + step * 1e-9; v += step) ticks.Add(Math.Abs(v) < step * 1e-9 ? 0 : Math.Round(v / step) * step);
            return ticks;
        }

        /// <summary>The 1-2-5 step nearest above <paramref name="raw"/>.</summary>
        public static double NiceStep(double raw)
        {
            var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            var f = raw / magnitude;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
        }
    }
}
