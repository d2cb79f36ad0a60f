namespace LowRankTrainer.Torch.Nn;

/// <summary>A state-dict key whose tensor has another shape than the module's.</summary>
/// <param name="Key">The dotted name.</param>
/// <param name="Expected">The module's shape.</param>
/// <param name="Actual">The shape found in the state dict.</param>
public sealed record ShapeMismatch(string Key, IReadOnlyList<long> Expected, IReadOnlyList<long> Actual)
{
    /// <summary>"key: expected [4, 3], got [3, 4]".</summary>
    public override string ToString() => $"{Key}: expected [{string.Join(", ", Expected)}], got [{string.Join(", ", Actual)}]";
}
