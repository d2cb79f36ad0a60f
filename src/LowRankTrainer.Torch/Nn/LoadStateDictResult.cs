namespace LowRankTrainer.Torch.Nn;

/// <summary>What a non-strict <see cref="Module.LoadStateDict"/> left out (PyTorch's _IncompatibleKeys).</summary>
/// <param name="MissingKeys">The module's keys the state dict did not have (those tensors were left as they were).</param>
/// <param name="UnexpectedKeys">The state dict's keys the module does not have (ignored).</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>True when every key matched.</summary>
    public bool IsComplete => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;
}
