using System.Text;
using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Distributed;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Training;

/// <summary>
/// What the <see cref="Trainer"/> does as one rank of a data-parallel group (PyTorch DDP's recipe over c10d Gloo), and
/// nothing at all for a single process (no group): every method is then the identity, so one training loop serves both.
/// </summary>
/// <remarks>
/// <para>The recipe, for W ranks and a global batch of B = per_device_train_batch_size · W samples:</para>
/// <list type="number">
/// <item>Start: rank 0's parameters and buffers are broadcast to every rank (<see cref="BroadcastModel"/>), as DDP does
/// when it wraps a module, so an adapter's random init, RandLoRA's bases and LoRA-SB's gradient-based init agree on
/// every rank even where a rank's arithmetic would differ (LoRA-SB's gradient estimate runs on rank 0 alone).</item>
/// <item>Data: every rank computes the same order and takes its <see cref="DataShard"/> of each global batch.</item>
/// <item>Step: each rank backpropagates its shard's mean loss L_r scaled by n_r·W/N (<see cref="Batch.LossScale"/>);
/// the trainable gradients are then averaged across ranks (<see cref="AverageGradients"/>, bucketed all-reduce), which
/// gives ∇ Σ_r n_r·L_r/N, the gradient one process computes on the whole batch. Frozen weights have no gradient and
/// cost no traffic, which is what makes adapters cheap to train data-parallel.</item>
/// <item>Agreement: the same all-reduce carries two flags, whether a rank's loss was not finite and whether a rank was
/// asked to stop, so a NaN on one rank skips (or stops) the step on all of them, and Ctrl+C on any rank stops them all
/// after the same step. Each rank sums its share of the loss, Σ L_r·n_r/N; the shares are summed across ranks
/// (<see cref="SumAcrossRanks(double)"/>) only when the loss is logged or checkpointed, so the logged loss is the global batch's.</item>
/// <item>Evaluation: each rank evaluates its <see cref="EvalShard"/> of the eval set and the counts are summed
/// (<see cref="SumAcrossRanks(double[])"/>), so every rank holds the whole set's result.</item>
/// <item>Output: rank 0 alone writes the run folder (metrics, checkpoints, final/, summary) and prints; the others
/// only fail loudly. Resume: every rank reads the same checkpoint (a shared file system across machines).</item>
/// </list>
/// <para>Every collective waits at most <c>train.ddp_timeout</c>; a rank that dies closes its connections, and the
/// others' next collective fails at once with a message naming it (<see cref="ProcessGroup"/>).</para>
/// </remarks>
/// <param name="group">The group this process trains in, or null for a single process.</param>
public sealed class DataParallel(ProcessGroup? group)
{
    /// <summary>This process's rank (0 without a group).</summary>
    public int Rank => group?.Rank ?? 0;

    /// <summary>The number of ranks W (1 without a group).</summary>
    public int WorldSize => group?.WorldSize ?? 1;

    /// <summary>Whether this rank writes the run's outputs (rank 0).</summary>
    public bool IsMain => Rank == 0;

    /// <summary>Whether there are other ranks.</summary>
    public bool IsDistributed => group is not null;

    /// <summary>This rank's share of every global batch.</summary>
    public DataShard Shard => new(Rank, WorldSize);

    /// <summary>Overwrites every parameter and buffer of <paramref name="model"/> with rank 0's.</summary>
    public void BroadcastModel(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (group is null) return;
        var tensors = model.NamedParameters().Select(p => p.Parameter.Value).Concat(model.NamedBuffers().Select(b => b.Buffer.Value));
        InPlace(tensors.ToList(), contiguous => group.Broadcast(contiguous, root: 0));
    }

    /// <summary>
    /// Averages the gradients of <paramref name="parameters"/> across ranks in place and agrees on the step's two flags,
    /// which ride in the same all-reduce (one collective per step: on a busy machine each one costs thread wake-ups
    /// worth more than the bytes). A parameter no micro-batch of this rank reached (an empty shard) contributes zeros.
    /// </summary>
    /// <param name="parameters">The trainable parameters.</param>
    /// <param name="nonFiniteLoss">This rank saw a NaN or ±∞ loss this step.</param>
    /// <param name="stopRequested">This rank was asked to stop.</param>
    /// <returns>Whether any rank saw a non-finite loss, and whether any was asked to stop.</returns>
    public StepAgreement AverageGradients(IReadOnlyList<Tensor> parameters, bool nonFiniteLoss, bool stopRequested)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (group is null) return new StepAgreement(nonFiniteLoss, stopRequested);
        using var scope = new DisposeScope();
        var grads = new List<Tensor>(parameters.Count + 1);
        foreach (var p in parameters)
        {
            if (p.Grad is not { } grad)
            {
                p.Grad = p.ZerosLike();
                grad = p.Grad!;
            }
            grads.Add(grad);
        }
        // 0/1 counts are exact in any float type; the mean turns "any rank" into "> 0". The flags take the last
        // gradient's dtype so that they join its bucket rather than start one of their own.
        var dtype = grads.Count > 0 ? grads[^1].DType : DType.Float32;
        var flags = Tensor.From(nonFiniteLoss ? 1f : 0f, stopRequested ? 1f : 0f).To(dtype);
        grads.Add(flags);
        InPlace(grads, contiguous => group.AllReduce(contiguous, mean: true));
        var agreed = flags.To(DType.Float64).ToArray<double>();
        return new StepAgreement(agreed[0] > 0, agreed[1] > 0);
    }

    /// <summary>
    /// Σ over ranks of <paramref name="value"/> (float64), e.g. the ranks' shares of the loss logged every
    /// <c>logging_steps</c>; the value itself in one process. Every rank must call it at the same point.
    /// </summary>
    public double SumAcrossRanks(double value) => group is null ? value : SumAcrossRanks([value])[0];

    /// <summary>
    /// Checks that every rank resumed at rank 0's step (they read the checkpoint each): a rank that found another one
    /// (no shared file system, or a different <c>--resume</c>) would train on other weights and data.
    /// </summary>
    /// <exception cref="InvalidOperationException">On every rank, when any rank disagrees.</exception>
    public void CheckSameStart(long step, string? checkpoint)
    {
        if (group is null) return;
        using var mainStep = Tensor.From(step);
        group.Broadcast([mainStep], root: 0);
        var expected = mainStep.ToArray<long>()[0];
        using var disagree = Tensor.From(expected == step ? 0L : 1L);
        group.AllReduce([disagree]);
        if (disagree.ToArray<long>()[0] == 0) return;
        throw new InvalidOperationException(
            $"rank {Rank} starts at step {step} ({checkpoint ?? "no checkpoint"}) but rank 0 starts at step {expected}: every rank must resume from " +
            "the same checkpoint (give --resume the same folder on a file system every rank sees)");
    }

    /// <summary>
    /// The rows of an evaluation set of <paramref name="count"/> rows this rank evaluates: its <see cref="Shard"/>, or all
    /// of them in one process, and also when there are fewer rows than ranks (every shard then holds at least one row,
    /// so every rank sees the model's output sizes and the ranks' counts line up).
    /// </summary>
    public DataShard EvalShard(long count) => group is null || count < WorldSize ? DataShard.Whole : Shard;

    /// <summary>Element-wise Σ over ranks of <paramref name="values"/> (float64); every rank must call it with the same length.</summary>
    public double[] SumAcrossRanks(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (group is null || values.Length == 0) return values;
        using var sums = Tensor.From<double>(values);
        group.AllReduce([sums]);
        return sums.ToArray<double>();
    }

    /// <summary>Rank 0's <paramref name="text"/> on every rank (e.g. the run folder it created).</summary>
    public string BroadcastText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (group is null) return text;
        var bytes = IsMain ? Encoding.UTF8.GetBytes(text) : [];
        using var length = Tensor.From((long)bytes.Length);
        group.Broadcast([length], root: 0);
        var n = (int)length.ToArray<long>()[0];
        if (n == 0) return "";
        using var buffer = IsMain ? Tensor.From<byte>(bytes) : Tensor.Zeros([n], DType.UInt8);
        group.Broadcast([buffer], root: 0);
        return Encoding.UTF8.GetString(buffer.ToArray<byte>());
    }

    /// <summary>Returns once every rank got here (the end of a run: no rank leaves while rank 0 still writes).</summary>
    public void Barrier() => group?.Barrier();

    // c10d works on contiguous tensors: a non-contiguous one travels as a contiguous copy that is copied back.
    private static void InPlace(List<Tensor> tensors, Action<List<Tensor>> collective)
    {
        using var scope = new DisposeScope();
        var contiguous = tensors.Select(t => t.IsContiguous ? t : t.Contiguous()).ToList();
        collective(contiguous);
        using var noGrad = Autograd.NoGrad();
        for (var i = 0; i < tensors.Count; i++)
        {
            if (!ReferenceEquals(contiguous[i], tensors[i])) tensors[i].Copy_(contiguous[i]);
        }
    }
}

/// <summary>What the ranks agreed on for one step (<see cref="DataParallel.AverageGradients"/>).</summary>
/// <param name="NonFiniteLoss">Some rank's loss was NaN or ±∞.</param>
/// <param name="StopRequested">Some rank was asked to stop (Ctrl+C, SIGTERM, a lost launcher).</param>
public readonly record struct StepAgreement(bool NonFiniteLoss, bool StopRequested);
