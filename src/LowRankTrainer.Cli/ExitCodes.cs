namespace LowRankTrainer.Cli;

/// <summary>Process exit codes of <c>lrt</c> (documented in the README).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A runtime failure (libtorch error, I/O error, ...).</summary>
    public const int Failure = 1;
    /// <summary>A usage or configuration error.</summary>
    public const int Usage = 2;
    /// <summary>Cancelled by the user (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
