using System.Globalization;
using System.Text;

namespace LowRankTrainer.Torch;

// ToString exactly as PyTorch prints a tensor (torch/_tensor_str.py): a shared cell format chosen
// from the values (integral "1.", fixed "1.5000" or scientific "1.0000e-05"), cells right-aligned
// to one width, lines wrapped at 80 columns, blank lines between blocks of 3-D and higher tensors,
// and more than 1000 elements summarised to the first and last 3 entries of each long dim.
public sealed partial class Tensor
{
    /// <summary>Tensors with more elements than this print summarised ("...") as PyTorch does.</summary>
    public const int MaxPrintedElements = 1000;

    private const int EdgeItems = 3;
    private const int LineWidth = 80;

    /// <summary>PyTorch's rendering, e.g. <c>tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]], dtype=torch.float64)</c>.</summary>
    public override string ToString()
    {
        if (IsDisposed) return "tensor(<disposed>)";
        var shape = ShapeRef;
        var suffixes = new List<string>();
        if (Device.Type != DeviceType.Cpu) suffixes.Add($"device='{Device}'");
        string body;
        if (NumEl == 0)
        {
            if (shape.Length != 1) suffixes.Add($"size=({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")})");
            if (DType != DType.Float32) suffixes.Add($"dtype=torch.{DType.TorchName()}");
            body = "[]";
        }
        else
        {
            if (DType is not (DType.Float32 or DType.Int64 or DType.Bool)) suffixes.Add($"dtype=torch.{DType.TorchName()}");
            body = FormatBody(shape);
        }
        if (GradFnName is { } gradFn) suffixes.Add($"grad_fn=<{gradFn}>");
        else if (RequiresGrad) suffixes.Add("requires_grad=True");
        var sb = new StringBuilder("tensor(").Append(body);
        foreach (var s in suffixes) sb.Append(", ").Append(s);
        return sb.Append(')').ToString();
    }

    private string FormatBody(long[] shape)
    {
        using var scope = new DisposeScope();
        var summarize = NumEl > MaxPrintedElements;
        var data = Detach().Cpu();
        if (summarize) data = Summarized(data, shape);
        var cells = TensorCellFormatter.Create(data);
        var pos = 0;
        return FormatNested(shape, 0, Prefix.Length, summarize, cells, ref pos);
    }

    private const string Prefix = "tensor(";

    /// <summary>The first and last <see cref="EdgeItems"/> entries of every dim longer than twice that.</summary>
    private static Tensor Summarized(Tensor t, long[] shape)
    {
        for (var d = 0; d < shape.Length; d++)
        {
            if (shape[d] > 2 * EdgeItems)
            {
                t = Cat([t.Narrow(d, 0, EdgeItems), t.Narrow(d, shape[d] - EdgeItems, EdgeItems)], d);
            }
        }
        return t;
    }

    // Walks the original shape; with summarize, a long dim contributes only its edge entries (which
    // is how the summarised data is laid out) and a "..." in between.
    private static string FormatNested(long[] shape, int dim, int indent, bool summarize, TensorCellFormatter cells, ref int pos)
    {
        if (shape.Length == 0) return cells.Format(pos++);
        var size = shape[dim];
        var elided = summarize && size > 2 * EdgeItems;
        var count = elided ? 2 * EdgeItems : size;
        var parts = new List<string>();
        for (long i = 0; i < count; i++)
        {
            if (elided && i == EdgeItems) parts.Add(dim == shape.Length - 1 ? " ..." : "...");
            parts.Add(dim == shape.Length - 1 ? cells.Format(pos++) : FormatNested(shape, dim + 1, indent + 1, summarize, cells, ref pos));
        }
        if (dim < shape.Length - 1)
        {
            var separator = "," + new string('\n', shape.Length - dim - 1) + new string(' ', indent + 1);
            return "[" + string.Join(separator, parts) + "]";
        }
        // The innermost dim wraps at the line width, as many cells per line as fit.
        var perLine = Math.Max(1, (LineWidth - indent) / (cells.Width + 2));
        var lines = parts.Chunk(perLine).Select(line => string.Join(", ", line));
        return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
    }
}

/// <summary>PyTorch's <c>_Formatter</c>: one cell format and width for all values of a tensor.</summary>
internal sealed class TensorCellFormatter
{
    private enum Mode { Text, Integral, Fixed, Scientific }

    private readonly string[] _text = [];
    private readonly double[] _values = [];
    private readonly Mode _mode;

    public int Width { get; }

    private TensorCellFormatter(Mode mode, string[] text, double[] values, int width)
    {
        _mode = mode;
        _text = text;
        _values = values;
        Width = width;
    }

    public static TensorCellFormatter Create(Tensor t)
    {
        if (t.DType == DType.Bool)
        {
            var text = Array.ConvertAll(t.ToArray<bool>(), b => b ? "True" : "False");
            return new TensorCellFormatter(Mode.Text, text, [], text.Max(s => s.Length));
        }
        if (!t.DType.IsFloatingPoint())
        {
            using var asLong = t.To(DType.Int64);
            var text = Array.ConvertAll(asLong.ToArray<long>(), v => v.ToString(CultureInfo.InvariantCulture));
            return new TensorCellFormatter(Mode.Text, text, [], text.Max(s => s.Length));
        }
        using var asDouble = t.To(DType.Float64);
        var values = asDouble.ToArray<double>();
        var nonzeroFinite = values.Where(v => double.IsFinite(v) && v != 0).ToArray();
        var width = 1;
        if (nonzeroFinite.Length == 0)
        {
            return new TensorCellFormatter(Mode.Integral, [], values, width);
        }
        var min = nonzeroFinite.Min(Math.Abs);
        var max = nonzeroFinite.Max(Math.Abs);
        var integral = nonzeroFinite.All(v => v == Math.Ceiling(v));
        var scientific = max / min > 1000.0 || max > 1.0e8 || (!integral && min < 1.0e-4);
        var mode = scientific ? Mode.Scientific : integral ? Mode.Integral : Mode.Fixed;
        foreach (var v in nonzeroFinite)
        {
            width = Math.Max(width, Render(mode, v).Length);
        }
        return new TensorCellFormatter(mode, [], values, width);
    }

    public string Format(int index)
    {
        var s = _mode == Mode.Text ? _text[index] : Render(_mode, _values[index]);
        return s.Length >= Width ? s : new string(' ', Width - s.Length) + s;
    }

    private static string Render(Mode mode, double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        return mode switch
        {
            Mode.Integral => v.ToString("0", CultureInfo.InvariantCulture) + ".",
            Mode.Fixed => v.ToString("0.0000", CultureInfo.InvariantCulture),
            _ => v.ToString("0.0000e+00", CultureInfo.InvariantCulture),
        };
    }
}
