using System.Globalization;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Training;

/// <summary>
/// The evaluation metrics of a map-fitting task (<c>data.dataset: synthetic_linear</c>; RandLoRA, Albert et al. ICLR 2025,
/// METHODS.md §9 item 4(i)), reported in <c>eval_metrics</c>: how many directions the learned map uses, and the best
/// relative error any map of that rank could reach on the target T.
/// </summary>
/// <remarks>
/// <para>The learned map is read generically, by forwarding the identity: W_eff = (f(I) − f(0))ᵀ, column j the model's
/// response to e_j. For y = W x + b that is W exactly (the bias cancels; without a bias f(0) = 0 and W_eff = f(I)ᵀ);
/// it needs nothing from the model's structure, so it works with any adapter, merged or not.</para>
/// <list type="bullet">
/// <item><c>effective_rank</c> k: the numerical rank of W_eff, the number of singular values above 1e-5·σ_max (0 for
/// W_eff = 0). With <c>model.init: zeros</c> (W₀ = 0) it is the rank of the adapter's update: r for LoRA, up to
/// min(d_in, d_out) for RandLoRA.</item>
/// <item><c>rank_floor</c>: the Eckart–Young(–Mirsky) error of rank k, Σ_{i&gt;k} σ_i(T)² / Σ_i σ_i(T)² — the smallest
/// relative error ‖W − T‖²_F / ‖T‖²_F of any rank-k map. A LoRA of rank r sits on it when trained to convergence;
/// RandLoRA's full-rank update can end below the floor of a LoRA with its parameter count.</item>
/// </list>
/// <para>Computed in float64 on the CPU. T's singular values are computed once, here; no tensor is kept.</para>
/// </remarks>
public sealed class LinearMapMetrics
{
    /// <summary>The relative threshold on σ/σ_max below which a singular value does not count toward the rank.</summary>
    public const double RankTolerance = 1e-5;

    private readonly long _inputs;
    private readonly long _outputs;
    private readonly double[] _tailEnergy;

    /// <summary>Prepares the metrics for the target map <paramref name="target"/> [d_out, d_in] (not taken).</summary>
    public LinearMapMetrics(Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Rank != 2) throw new ArgumentException($"the target map must be a matrix, got shape [{string.Join(", ", target.Shape)}]", nameof(target));
        _outputs = target.Size(0);
        _inputs = target.Size(1);
        double[] sigma;
        using (var scope = new DisposeScope())
        {
            sigma = SingularValues(target.To(Device.Cpu, DType.Float64));
        }
        // _tailEnergy[k] = Σ_{i>k} σ_i² / Σ σ_i² (1-based i), for k = 0 … min(d_in, d_out); summed from the smallest up.
        _tailEnergy = new double[sigma.Length + 1];
        for (var k = sigma.Length - 1; k >= 0; k--) _tailEnergy[k] = _tailEnergy[k + 1] + (sigma[k] * sigma[k]);
        var total = _tailEnergy[0];
        for (var k = 0; k < _tailEnergy.Length; k++) _tailEnergy[k] = total > 0 ? _tailEnergy[k] / total : 0;
    }

    /// <summary>Σ_{i&gt;k} σ_i(T)² / Σ σ_i(T)²: the best relative error of a rank-<paramref name="k"/> map (0 from k = rank T on).</summary>
    public double RankFloor(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return _tailEnergy[Math.Min(k, _tailEnergy.Length - 1)];
    }

    /// <summary>
    /// <c>effective_rank</c> and <c>rank_floor</c> of <paramref name="model"/>'s learned map (under no-grad, in evaluation
    /// mode; training mode is restored afterwards).
    /// </summary>
    public IReadOnlyDictionary<string, double> Measure(Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var rank = EffectiveRank(LearnedSingularValues(model));
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["effective_rank"] = rank,
            ["rank_floor"] = RankFloor(rank),
        };
    }

    /// <summary>The number of singular values (descending, as <see cref="LearnedSingularValues"/> gives) above <see cref="RankTolerance"/>·σ_max.</summary>
    public static int EffectiveRank(double[] singularValues)
    {
        ArgumentNullException.ThrowIfNull(singularValues);
        if (singularValues.Length == 0 || !(singularValues[0] > 0)) return 0;
        var threshold = RankTolerance * singularValues[0];
        return singularValues.Count(s => s > threshold);
    }

    /// <summary>The singular values, descending, of <paramref name="model"/>'s learned map W_eff = (f(I) − f(0))ᵀ [d_out, d_in].</summary>
    public double[] LearnedSingularValues(Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            using var scope = new DisposeScope();
            var parameters = model.Parameters();
            var first = parameters.Count > 0 ? parameters[0] : null;
            var dtype = first?.DType ?? DType.Float32;
            var device = first?.Device ?? Device.Cpu;
            // Row 0 is f(0), rows 1…d_in are f(e_j): one forward pass.
            var inputs = Tensor.Cat([Tensor.Zeros([1, _inputs], dtype, device), Tensor.Eye(_inputs, dtype: dtype, device: device)], 0);
            var outputs = model.Forward(inputs).To(Device.Cpu, DType.Float64);
            if (outputs.Rank != 2 || outputs.Size(1) != _outputs)
                throw new ArgumentException($"the model maps {_inputs} inputs to shape [{string.Join(", ", outputs.Shape)}], not [{_inputs + 1}, {_outputs}]", nameof(model));
            var map = (outputs.Narrow(0, 1, _inputs) - outputs.Narrow(0, 0, 1)).MT;
            return SingularValues(map);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    private static double[] SingularValues(Tensor matrix)
    {
        var (u, s, vh) = Linalg.Svd(matrix);
        using (u)
        using (vh)
        using (s)
        {
            return s.ToArray<double>();
        }
    }

    /// <summary>The metrics as a console fragment: <c>effective_rank 4, rank_floor 0.8750</c>.</summary>
    public static string Format(IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return string.Join(", ", metrics.Select(kv => kv.Key + " " + (kv.Value == Math.Round(kv.Value)
            ? kv.Value.ToString("F0", CultureInfo.InvariantCulture)
            : kv.Value.ToString("F4", CultureInfo.InvariantCulture))));
    }
}
