using System.Globalization;
using System.Text;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>One parameter of a model: its dotted name, shape, element count and whether it trains.</summary>
/// <param name="Name">Dotted name, e.g. <c>layers.0.weight</c>.</param>
/// <param name="Shape">The tensor's shape.</param>
/// <param name="Count">Number of elements (the product of the shape).</param>
/// <param name="Trainable">Whether it requires grad.</param>
public sealed record ParameterInfo(string Name, IReadOnlyList<long> Shape, long Count, bool Trainable);

/// <summary>
/// Trainable versus total parameter counts, with PEFT's <c>print_trainable_parameters</c> line, and a
/// per-parameter table (for <c>lrt inspect</c> and the start-of-run banner).
/// </summary>
/// <param name="Trainable">Elements of parameters that require grad.</param>
/// <param name="Total">Elements of all parameters (each shared parameter counted once).</param>
/// <param name="Parameters">Every parameter, in the module's order.</param>
public sealed record ParameterSummary(long Trainable, long Total, IReadOnlyList<ParameterInfo> Parameters)
{
    /// <summary>Reads the counts of <paramref name="model"/> (each shared slot once, as PyTorch's <c>parameters()</c>).</summary>
    public static ParameterSummary Of(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var list = new List<ParameterInfo>();
        foreach (var (name, p) in model.NamedParameters())
        {
            var t = p.Value;
            list.Add(new ParameterInfo(name, t.Shape, t.NumEl, t.RequiresGrad));
        }
        return new ParameterSummary(list.Where(p => p.Trainable).Sum(p => p.Count), list.Sum(p => p.Count), list);
    }

    /// <summary>100 · trainable / total (0 for an empty model).</summary>
    public double TrainablePercent => Total == 0 ? 0 : 100.0 * Trainable / Total;

    /// <summary>
    /// PEFT's line, <c>trainable params: 1,234 || all params: 5,678 || trainable%: 21.7330</c>
    /// (thousands separators, four decimals, as <c>print_trainable_parameters</c> prints).
    /// </summary>
    public string ToPeftLine() => string.Create(CultureInfo.InvariantCulture,
        $"trainable params: {Trainable:N0} || all params: {Total:N0} || trainable%: {TrainablePercent:F4}");

    /// <summary>A fixed-width table: name, shape, count, trainable; then the PEFT line.</summary>
    public string ToTable()
    {
        var rows = Parameters.Select(p => (p.Name, Shape: "[" + string.Join(", ", p.Shape) + "]",
                                           Count: p.Count.ToString("N0", CultureInfo.InvariantCulture), Train: p.Trainable ? "yes" : "no")).ToList();
        var w0 = Math.Max(4, rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length));
        var w1 = Math.Max(5, rows.Count == 0 ? 0 : rows.Max(r => r.Shape.Length));
        var w2 = Math.Max(5, rows.Count == 0 ? 0 : rows.Max(r => r.Count.Length));
        var sb = new StringBuilder();
        sb.Append("name".PadRight(w0)).Append("  ").Append("shape".PadRight(w1)).Append("  ").Append("count".PadLeft(w2)).AppendLine("  trainable");
        foreach (var r in rows)
        {
            sb.Append(r.Name.PadRight(w0)).Append("  ").Append(r.Shape.PadRight(w1)).Append("  ").Append(r.Count.PadLeft(w2)).Append("  ").AppendLine(r.Train);
        }
        sb.AppendLine(ToPeftLine());
        return sb.ToString();
    }
}
