namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// A state dict that does not fit a module: the message lists every missing, unexpected and
/// mis-shaped key (with both shapes), so one failed load shows everything that is wrong.
/// </summary>
public sealed class LoadStateDictException : Exception
{
    /// <summary>Creates the exception for a module of type <paramref name="moduleName"/>.</summary>
    public LoadStateDictException(string moduleName, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
                                  IReadOnlyList<ShapeMismatch> mismatchedKeys)
        : base(Describe(moduleName, missingKeys, unexpectedKeys, mismatchedKeys))
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        MismatchedKeys = mismatchedKeys;
    }

    /// <summary>Creates an exception with only a message (no key lists).</summary>
    public LoadStateDictException() : this("Module", [], [], []) { }

    /// <summary>Creates an exception with only a message (no key lists).</summary>
    public LoadStateDictException(string message) : base(message)
    {
        MissingKeys = [];
        UnexpectedKeys = [];
        MismatchedKeys = [];
    }

    /// <summary>Creates an exception with only a message and an inner exception (no key lists).</summary>
    public LoadStateDictException(string message, Exception innerException) : base(message, innerException)
    {
        MissingKeys = [];
        UnexpectedKeys = [];
        MismatchedKeys = [];
    }

    /// <summary>Keys of the module absent from the state dict (listed only for a strict load).</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys of the state dict the module does not have (listed only for a strict load).</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys present in both with different shapes.</summary>
    public IReadOnlyList<ShapeMismatch> MismatchedKeys { get; }

    private static string Describe(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<ShapeMismatch> mismatched)
    {
        var lines = new List<string> { $"Error(s) in loading state_dict for {module}:" };
        if (missing.Count > 0) lines.Add($"  missing keys ({missing.Count}): {string.Join(", ", missing)}");
        if (unexpected.Count > 0) lines.Add($"  unexpected keys ({unexpected.Count}): {string.Join(", ", unexpected)}");
        if (mismatched.Count > 0)
        {
            lines.Add($"  size mismatch ({mismatched.Count}):");
            lines.AddRange(mismatched.Select(m => "    " + m));
        }
        return string.Join(Environment.NewLine, lines);
    }
}
