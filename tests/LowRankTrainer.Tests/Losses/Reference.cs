using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Losses;

/// <summary>
/// Plain-double reference implementations of the formulas in METHODS.md §7, written from the math (no
/// tensors), so the tensor implementations are checked against an independent computation.
/// </summary>
internal static class Reference
{
    public static double[][] Rows(Tensor t)
    {
        using var d = t.Detach().To(DType.Float64);
        var flat = d.ToArray<double>();
        var cols = (int)t.Size(1);
        return [.. Enumerable.Range(0, (int)t.Size(0)).Select(r => flat.AsSpan(r * cols, cols).ToArray())];
    }

    public static double[] Prefix(double[] row, int m) => row[..m];

    public static double[] Normalize(double[] row)
    {
        var norm = Math.Max(Math.Sqrt(row.Sum(v => v * v)), 1e-12);
        return [.. row.Select(v => v / norm)];
    }

    public static double[][] Shrink(double[][] rows, int dim) => [.. rows.Select(r => Normalize(Prefix(r, dim)))];

    public static double LogSumExp(double[] v)
    {
        var max = v.Max();
        return max + Math.Log(v.Sum(x => Math.Exp(x - max)));
    }

    /// <summary>Mean over rows of −[(1−ε)·log p_y + (ε/C)·Σ_c log p_c].</summary>
    public static double CrossEntropy(double[][] logits, long[] y, double smoothing = 0)
    {
        double total = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var lse = LogSumExp(logits[i]);
            var logp = logits[i].Select(v => v - lse).ToArray();
            total += -((1 - smoothing) * logp[y[i]] + smoothing / logp.Length * logp.Sum());
        }
        return total / logits.Length;
    }

    /// <summary>logits_i = W·x_i + b for W [C, m] given as rows.</summary>
    public static double[][] Affine(double[][] x, double[][] w, double[] b, int m) =>
        [.. x.Select(row => w.Select((wr, c) => b[c] + Enumerable.Range(0, m).Sum(j => wr[j] * row[j])).ToArray())];

    /// <summary>MNRL: mean_i −log softmax_j(scale·cos(a_i, p_j))_i.</summary>
    public static double Mnrl(double[][] a, double[][] p, double scale = 20)
    {
        var an = a.Select(Normalize).ToArray();
        var pn = p.Select(Normalize).ToArray();
        double total = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var s = pn.Select(pj => scale * an[i].Zip(pj, (x, y) => x * y).Sum()).ToArray();
            total += LogSumExp(s) - s[i];
        }
        return total / a.Length;
    }

    /// <summary>kl_div(log_softmax(q/T), softmax(p/T), batchmean) over rows.</summary>
    public static double KlBatchMean(double[][] q, double[][] p, double t)
    {
        double total = 0;
        for (var i = 0; i < q.Length; i++)
        {
            var lq = q[i].Select(v => v / t).ToArray();
            var lp = p[i].Select(v => v / t).ToArray();
            var zq = LogSumExp(lq);
            var zp = LogSumExp(lp);
            for (var k = 0; k < lq.Length; k++)
            {
                var logP = lp[k] - zp;
                total += Math.Exp(logP) * (logP - (lq[k] - zq));
            }
        }
        return total / q.Length;
    }
}
