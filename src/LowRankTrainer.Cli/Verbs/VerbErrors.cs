using System.Text.Json;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// How the verbs that build and run models turn the errors they expect into a message and an exit code: a bad
/// setting (<see cref="ArgumentException"/>, <see cref="NotSupportedException"/>) is a usage error (2); bad files,
/// a non-finite loss or a libtorch failure are failures (1). Anything else is a bug and propagates with its stack.
/// </summary>
internal static class VerbErrors
{
    /// <summary>Runs <paramref name="body"/>; an expected error is written as <c>lrt VERB: message</c> and mapped to its exit code.</summary>
    public static int Run(string verb, TextWriter stderr, Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            stderr.WriteLine($"lrt {verb}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is NonFiniteLossException or InvalidDataException or InvalidOperationException or IOException or TorchException or JsonException)
        {
            stderr.WriteLine($"lrt {verb}: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
