using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Losses;
using LowRankTrainer.Torch;
using LowRankTrainer.Models;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Training;

/// <summary>
/// The training loss of <c>loss.*</c> and the evaluation pass that reports it.
/// </summary>
/// <remarks>
/// <para><c>cross_entropy</c>: ℓ = −[(1−ε)·log softmax(z)_y + (ε/C)·Σ_c log softmax(z)_c] averaged over
/// samples whose target is not <c>ignore_index</c> (label smoothing ε, Szegedy et al. 2016).</para>
/// <para><c>mse</c>: mean((ŷ − y)²) over every entry, as torch.nn.MSELoss: an output of shape [N, 1] is compared with
/// targets [N], vector outputs [N, d] with vector targets [N, d] (synthetic_linear); evaluation divides the summed
/// squares by the N·d entries.</para>
/// <para><c>type: mrl</c> (Kusupati et al. 2022): the model's output is the stacked logits [N, |M|, C] of
/// <see cref="MatryoshkaMlp"/> and the loss is Σ_m c_m · CE_m (<see cref="MatryoshkaCrossEntropy"/>, a sum over
/// sizes, each CE with the label smoothing above); with <c>dims_per_step</c> k the sum runs over the k sizes
/// <see cref="NestingSampler"/> draws for the step. Evaluation reports the accuracy of every size's head.</para>
/// </remarks>
public sealed class LossFunction
{
    private readonly LossConfig _config;
    private readonly int _seed;
    private readonly int[]? _dimsAscending;
    private readonly MatryoshkaCrossEntropy? _mrl;

    /// <summary>The loss named by <paramref name="config"/>.</summary>
    /// <param name="config">The <c>loss</c> section.</param>
    /// <param name="seed">Seeds MRL's per-step size sampling (<c>train.seed</c>).</param>
    /// <exception cref="ArgumentException">An unknown <c>loss.name</c> or <c>loss.type</c>, or bad MRL settings.</exception>
    public LossFunction(LossConfig config, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Name is not ("cross_entropy" or "mse"))
            throw new ArgumentException($"unknown loss.name '{config.Name}'; known: cross_entropy, mse", nameof(config));
        if (!LossConfig.Types.Contains(config.Type, StringComparer.Ordinal))
            throw new ArgumentException($"unknown loss.type '{config.Type}'; known: {string.Join(", ", LossConfig.Types)}", nameof(config));
        _config = config;
        _seed = seed;
        if (config.Type == "mrl")
        {
            if (config.Name != "cross_entropy") throw new ArgumentException("loss.type mrl needs loss.name cross_entropy", nameof(config));
            var m = config.Matryoshka;
            var dims = MrlLinear.CheckSizes(m.Dims, int.MaxValue, "loss.matryoshka.dims");
            if (m.Weights.Count != 0 && m.Weights.Count != m.Dims.Count)
                throw new ArgumentException($"loss.matryoshka.weights has {m.Weights.Count} entries for {m.Dims.Count} dims", nameof(config));
            // Weights follow their dims into ascending order (the heads' order).
            var weights = m.Weights.Count == 0 ? dims.Select(_ => 1.0).ToArray() : dims.Select(d => m.Weights[IndexOf(m.Dims, d)]).ToArray();
            _dimsAscending = dims;
            _mrl = new MatryoshkaCrossEntropy(weights, config.LabelSmoothing, config.IgnoreIndex);
        }
    }

    /// <summary>
    /// Whether the task is classification (accuracy is reported). For the embedding loss types this object only
    /// carries the settings: <see cref="EmbeddingObjective"/> computes and evaluates them.
    /// </summary>
    public bool IsClassification => _config.Name == "cross_entropy";

    /// <summary>The MRL nesting sizes, ascending (null for a standard loss).</summary>
    public IReadOnlyList<int>? NestingSizes => _dimsAscending;

    /// <summary>
    /// The loss of <paramref name="output"/> against <paramref name="target"/> with the given reduction; for MRL
    /// at training step <paramref name="step"/> (which picks the sizes when <c>dims_per_step</c> is set; step 0
    /// — evaluation — uses every size).
    /// </summary>
    /// <remarks>
    /// Every view or copy made here (targets moved to the output's device, a language model's logits flattened per token)
    /// is disposed before returning, so that once the caller disposes <paramref name="output"/> its storage is freed, as
    /// in PyTorch: autograd keeps what backward needs (log_softmax's output), and a causal LM's logits [N, T, V] —
    /// the step's largest tensor — would otherwise stay alive through backward in the caller's scope.
    /// </remarks>
    public Tensor Compute(Tensor output, Tensor target, Reduction reduction = Reduction.Mean, long step = 0)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        return WithTargetOn(output.Device, target, t => ComputeOnDevice(output, t, reduction, step));
    }

    /// <summary>
    /// loss.fused_linear_cross_entropy: the mean cross-entropy of the logits <paramref name="hidden"/>·<paramref name="headWeight"/>ᵀ
    /// against <paramref name="target"/> [N, T], without the logits (<see cref="FusedLinearCrossEntropy"/>); the same loss as
    /// <see cref="Compute"/> on the head's output, up to rounding.
    /// </summary>
    public Tensor ComputeFused(Tensor hidden, Tensor headWeight, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(target);
        if (!IsClassification || _mrl is not null || _config.LabelSmoothing > 0)
            throw new InvalidOperationException("loss.fused_linear_cross_entropy computes plain cross-entropy (loss.name cross_entropy, loss.type standard, no label smoothing)");
        return WithTargetOn(hidden.Device, target, t =>
        {
            using var rows = hidden.Flatten(0, hidden.Rank - 2);
            using var targets = t.Flatten();
            return FusedLinearCrossEntropy.Compute(rows, headWeight, targets, _config.IgnoreIndex);
        });
    }

    // Targets follow the model's output to its device (a no-op where they are already there, as on the CPU); a copy made
    // for that goes when the loss is computed.
    private static Tensor WithTargetOn(Device device, Tensor target, Func<Tensor, Tensor> compute)
    {
        var onDevice = RunDevice.On(target, device);
        try
        {
            return compute(onDevice);
        }
        finally
        {
            if (!ReferenceEquals(onDevice, target)) onDevice.Dispose();
        }
    }

    private Tensor ComputeOnDevice(Tensor output, Tensor target, Reduction reduction, long step)
    {
        if (_mrl is not null)
        {
            var perStep = _config.Matryoshka.DimsPerStep;
            if (step == 0 || perStep < 0) return _mrl.Compute(output, target, reduction);
            Tensor? total = null;
            foreach (var i in NestingSampler.Indices(_dimsAscending!.Length, perStep, _seed, step))
            {
                using var term = _mrl.PerSize(output, target, i, reduction);
                var weighted = term * _mrl.Weights[i];
                if (total is null)
                {
                    total = weighted;
                    continue;
                }
                using (var previous = total) using (weighted) total = previous + weighted;
            }
            return total!;
        }
        if (IsClassification)
        {
            if (output.Rank != 3 || target.Rank != 2) return CrossEntropy(output, target, reduction);
            // A language model's logits [N, T, V] and targets [N, T] as [N·T, V] and [N·T], so that every token is one
            // classification (targets equal to ignore_index, such as padding, drop out of loss and accuracy).
            using var perTokenOutput = output.Flatten(0, 1);
            using var perTokenTarget = target.Flatten();
            return CrossEntropy(perTokenOutput, perTokenTarget, reduction);
        }
        // A regressor's [N, 1] output meets targets [N]; vector targets [N, d] meet outputs [N, d] as they are. Any other
        // pair would broadcast silently (mse_loss of [N, d] against [N] is a [N, N]-shaped mistake), so it is refused.
        using var prediction = output.NumEl == target.NumEl ? output.Reshape(target.Shape) : output.Alias();
        if (!prediction.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"loss.name mse needs one output per target value: the model gives [{string.Join(", ", output.Shape)}], the targets are [{string.Join(", ", target.Shape)}]");
        using var typedTarget = target.To(prediction.DType);
        return Functional.Mse(prediction, typedTarget, reduction);
    }

    private Tensor CrossEntropy(Tensor output, Tensor target, Reduction reduction) =>
        Functional.CrossEntropy(output, target, ignoreIndex: _config.IgnoreIndex, labelSmoothing: _config.LabelSmoothing, reduction: reduction);

    /// <summary>
    /// A language model's logits [N, T, V] and targets [N, T] as [N·T, V] and [N·T] views, so that every token is one
    /// classification (targets equal to ignore_index, such as padding, drop out of accuracy); other shapes pass through.
    /// </summary>
    private static (Tensor Output, Tensor Target) PerToken(Tensor output, Tensor target) =>
        output.Rank == 3 && target.Rank == 2 ? (output.Flatten(0, 1), target.Flatten()) : (output, target);

    private static void CountClasses(Tensor prediction, Tensor target, Tensor keep, long classes,
                                     ref long[]? truePositives, ref long[]? predicted, ref long[]? actual)
    {
        truePositives ??= new long[classes];
        predicted ??= new long[classes];
        actual ??= new long[classes];
        var p = prediction.ToArray<long>();
        var y = target.ToArray<long>();
        var k = keep.ToArray<bool>();
        for (var i = 0; i < p.Length; i++)
        {
            if (!k[i]) continue;
            predicted[p[i]]++;
            actual[y[i]]++;
            if (p[i] == y[i]) truePositives[p[i]]++;
        }
    }

    /// <summary>
    /// Macro-F1: the mean over classes that occur (as target or prediction) of F1_c = 2·TP_c / (2·TP_c + FP_c + FN_c)
    /// (scikit-learn's <c>f1_score(average="macro")</c> with labels = the classes present).
    /// </summary>
    internal static double MacroF1(long[] truePositives, long[] predicted, long[] actual)
    {
        double sum = 0;
        var classes = 0;
        for (var c = 0; c < truePositives.Length; c++)
        {
            if (predicted[c] + actual[c] == 0) continue;
            sum += 2.0 * truePositives[c] / (predicted[c] + actual[c]);
            classes++;
        }
        return classes == 0 ? 0 : sum / classes;
    }

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value) return i;
        }
        return -1;
    }

    /// <summary>
    /// Evaluates <paramref name="model"/> on <paramref name="data"/> in order, in batches, under
    /// no-grad and in evaluation mode (dropout off; training mode is restored afterwards). Returns the
    /// mean loss over counted targets and, for classification, the accuracy (ignored targets excluded).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="data">The evaluation set.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="shard">Data-parallel: the rows [⌊N·r/W⌋, ⌊N·(r+1)/W⌋) this rank evaluates (null: all of them).</param>
    /// <param name="sumAcrossRanks">Data-parallel: sums the ranks' counts element-wise, so every rank returns the whole set's
    /// result (the loss sum, counted targets, hits and per-class counts are all sums; only their order of addition differs).</param>
    public EvalResult Evaluate(Module<Tensor, Tensor> model, TensorDataset data, int batchSize, DataShard? shard = null, Func<double[], double[]>? sumAcrossRanks = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var (from, to) = (shard ?? DataShard.Whole).Range(data.Count);
        var wasTraining = model.IsTraining;
        var device = RunDevice.Of(model);
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            double lossSum = 0, counted = 0, correct = 0;
            long[]? truePositives = null, predicted = null, actual = null;
            var correctBySize = new double[_dimsAscending?.Length ?? 0];
            for (var start = from; start < to; start += batchSize)
            {
                using var scope = new DisposeScope();
                var length = Math.Min(batchSize, to - start);
                var x = RunDevice.On(data.Inputs.Narrow(0, start, length), device);
                var y = RunDevice.On(data.Targets.Narrow(0, start, length), device);
                var output = model.Forward(x);
                lossSum += Compute(output, y, Reduction.Sum).ToDouble();
                if (IsClassification)
                {
                    var keep = y.Ne(_config.IgnoreIndex);
                    counted += keep.Sum().ToDouble();
                    if (_mrl is null)
                    {
                        var sequence = output.Rank == 3;
                        (output, y) = PerToken(output, y);
                        keep = y.Ne(_config.IgnoreIndex);
                        var prediction = output.ArgMax(1);
                        correct += (prediction.Eq(y) & keep).Sum().ToDouble();
                        // Macro-F1 over classes (not over a language model's vocabulary).
                        if (!sequence) CountClasses(prediction, y, keep, output.Size(1), ref truePositives, ref predicted, ref actual);
                    }
                    else
                    {
                        var hits = output.ArgMax(2).Eq(y.Unsqueeze(1)) & keep.Unsqueeze(1);
                        var perSize = hits.Sum([0L]).ToArray<long>();
                        for (var i = 0; i < perSize.Length; i++) correctBySize[i] += perSize[i];
                    }
                }
                else
                {
                    counted += y.NumEl;
                }
            }
            if (sumAcrossRanks is not null)
            {
                // One all-reduce of every count, in a layout all ranks share (the same model gives the same sizes).
                double[] L(long[]? a) => a is null ? [] : [.. a.Select(v => (double)v)];
                var c = truePositives?.Length ?? 0;
                var total = sumAcrossRanks([lossSum, counted, correct, .. correctBySize, .. L(truePositives), .. L(predicted), .. L(actual)]);
                (lossSum, counted, correct) = (total[0], total[1], total[2]);
                total.AsSpan(3, correctBySize.Length).CopyTo(correctBySize);
                long[]? Back(int offset) => c == 0 ? null : [.. total.Skip(3 + correctBySize.Length + offset * c).Take(c).Select(v => (long)v)];
                (truePositives, predicted, actual) = (Back(0), Back(1), Back(2));
            }
            var loss = counted > 0 ? lossSum / counted : double.NaN;
            if (!IsClassification) return new EvalResult(loss, null);
            double Rate(double c) => counted > 0 ? c / counted : 0;
            if (_mrl is null) return new EvalResult(loss, Rate(correct)) { MacroF1 = truePositives is null ? null : MacroF1(truePositives, predicted!, actual!) };
            var byDim = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var i = 0; i < correctBySize.Length; i++) byDim[_dimsAscending![i].ToString(System.Globalization.CultureInfo.InvariantCulture)] = Rate(correctBySize[i]);
            return new EvalResult(loss, Rate(correctBySize[^1]), byDim);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
