namespace LowRankTrainer.Torch.Nn;

/// <summary>How a loss reduces its per-element values (the codes are ATen's at::Reduction).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element (or per sample).</summary>
    None = 0,
    /// <summary>The mean (weighted mean for class-weighted losses), PyTorch's default.</summary>
    Mean = 1,
    /// <summary>The sum.</summary>
    Sum = 2,
}
