using System.Globalization;
using System.Text;

namespace LowRankTrainer.Torch;

// ToString in PyTorch's style, for small tensors; larger ones print a summary line.
public sealed partial class Tensor
{
    /// <summary>Tensors with more elements than this print as a summary instead of their values.</summary>
    public const int MaxPrintedElements = 1000;

    /// <summary>E.g. <c>tensor([[1.0000, 2.5000], [3.0000, 4.0000]], dtype=float64)</c>.</summary>
    public override string ToString()
    {
        if (IsDisposed) return "tensor(<disposed>)";
        var shape = ShapeRef;
        var suffix = new StringBuilder();
        if (DType is not (DType.Float32 or DType.Int64 or DType.Bool)) suffix.Append(", dtype=").Append(DType.TorchName());
        if (Device.Type != DeviceType.Cpu) suffix.Append(", device='").Append(Device).Append('\'');
        if (RequiresGrad) suffix.Append(", requires_grad=True");
        if (NumEl > MaxPrintedElements)
        {
            return $"tensor(shape=[{string.Join(", ", shape)}]{suffix})";
        }

        string[] cells;
        using (var host = Detach())
        {
            cells = FormatCells(host);
        }
        var sb = new StringBuilder("tensor(");
        var pos = 0;
        AppendNested(sb, shape, 0, cells, ref pos);
        return sb.Append(suffix).Append(')').ToString();
    }

    private static string[] FormatCells(Tensor t)
    {
        var n = (int)t.NumEl;
        if (t.DType == DType.Bool)
        {
            return Array.ConvertAll(t.ToArray<bool>(), b => b ? "True" : "False");
        }
        if (!t.DType.IsFloatingPoint())
        {
            using var asLong = t.To(Device.Cpu, DType.Int64);
            return Array.ConvertAll(asLong.ToArray<long>(), v => v.ToString(CultureInfo.InvariantCulture));
        }
        using var asDouble = t.To(Device.Cpu, DType.Float64);
        var values = asDouble.ToArray<double>();
        // PyTorch prints "1." when every finite value is integral, else a fixed 4 decimals.
        var allIntegral = values.All(v => !double.IsFinite(v) || v == Math.Floor(v));
        var cells = new string[n];
        for (var i = 0; i < n; i++)
        {
            var v = values[i];
            cells[i] = double.IsNaN(v) ? "nan"
                : double.IsPositiveInfinity(v) ? "inf"
                : double.IsNegativeInfinity(v) ? "-inf"
                : allIntegral ? v.ToString("0", CultureInfo.InvariantCulture) + "."
                : v.ToString("0.0000", CultureInfo.InvariantCulture);
        }
        return cells;
    }

    private static void AppendNested(StringBuilder sb, long[] shape, int dim, string[] cells, ref int pos)
    {
        if (dim == shape.Length)
        {
            sb.Append(cells[pos++]);
            return;
        }
        sb.Append('[');
        for (long i = 0; i < shape[dim]; i++)
        {
            if (i > 0) sb.Append(dim == shape.Length - 1 ? ", " : ",\n" + new string(' ', 8 + dim));
            AppendNested(sb, shape, dim + 1, cells, ref pos);
        }
        sb.Append(']');
    }
}
