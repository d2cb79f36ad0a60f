using System.Globalization;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Cli;

/// <summary>
/// The <c>lrt</c> verbs. Kept free of Console so tests can run them in-process with their own writers.
/// </summary>
public static class CliApp
{
    private const string Usage =
        """
        usage: lrt <verb> [options]

        verbs:
          info            what libtorch the shim runs on (version, CUDA, ABI, BLAS, threads) as JSON,
                          plus a one-op self-check
          --help, -h      this text
          --version       the lrt version

        exit codes: 0 ok, 1 failure, 2 usage or config error, 130 cancelled
        """;

    /// <summary>Runs one invocation and returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Count == 0)
        {
            stderr.WriteLine(Usage);
            return ExitCodes.Usage;
        }
        try
        {
            switch (args[0])
            {
                case "--help" or "-h" or "help":
                    stdout.WriteLine(Usage);
                    return ExitCodes.Ok;
                case "--version":
                    stdout.WriteLine(typeof(CliApp).Assembly.GetName().Version?.ToString() ?? "0.0.0");
                    return ExitCodes.Ok;
                case "info" when args.Count == 1:
                    return Info(stdout);
                case "info":
                    stderr.WriteLine($"lrt info: unexpected argument '{args[1]}'");
                    return ExitCodes.Usage;
                default:
                    stderr.WriteLine($"lrt: unknown verb '{args[0]}'");
                    stderr.WriteLine(Usage);
                    return ExitCodes.Usage;
            }
        }
        catch (Exception e) when (e is TorchException or DllNotFoundException or TypeInitializationException)
        {
            stderr.WriteLine($"lrt: {(e is TypeInitializationException { InnerException: { } inner } ? inner.Message : e.Message)}");
            return ExitCodes.Failure;
        }
    }

    private static int Info(TextWriter stdout)
    {
        stdout.WriteLine(EnvironmentReport.Capture().ToJson());
        // One real op through the whole chain (C# → shim → libtorch → BLAS) as a self-check.
        using var scope = new DisposeScope();
        var a = Tensor.From([1f, 2f, 3f, 4f], [2, 2]);
        var product = a.MatMul(a).Sum().ToDouble(); // [[7,10],[15,22]] sums to 54
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"self-check: sum([[1,2],[3,4]]²) = {product} (expected 54)"));
        return product == 54 ? ExitCodes.Ok : ExitCodes.Failure;
    }
}
