using LowRankTrainer.Torch;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// Boolean attention masks for <see cref="LowRankTrainer.Torch.Nn.Functional.ScaledDotProductAttention"/>
/// (true: the query may attend to the key), broadcast over heads.
/// </summary>
public static class AttentionMasks
{
    /// <summary>
    /// Causal and padding together, [N, 1, T, T]: query i sees key j when j ≤ i and key j is real. With padding
    /// on the right every query row keeps key 0, so no row is fully masked (a pad query's output is unused).
    /// </summary>
    public static Tensor CausalWithPadding(Tensor keyMask)
    {
        ArgumentNullException.ThrowIfNull(keyMask);
        var n = keyMask.Size(0);
        var t = keyMask.Size(1);
        using var causal = Causal(t, keyMask.Device);
        using var keys = keyMask.View(n, 1, 1, t);
        return causal.LogicalAnd(keys);
    }

    /// <summary>Padding only (bidirectional encoders), [N, 1, 1, T]: every query sees every real key.</summary>
    public static Tensor Padding(Tensor keyMask)
    {
        ArgumentNullException.ThrowIfNull(keyMask);
        return keyMask.View(keyMask.Size(0), 1, 1, keyMask.Size(1));
    }

    /// <summary>The lower-triangular [T, T] mask j ≤ i.</summary>
    public static Tensor Causal(long t, Device device)
    {
        using var positions = Tensor.Arange(0L, t, 1L, DType.Int64, device);
        using var rows = positions.View(t, 1);
        using var cols = positions.View(1, t);
        return rows.Ge(cols);
    }
}
