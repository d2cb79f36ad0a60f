using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Runs;

/// <summary>
/// The facts about the machine and libtorch that a run records (<c>env.json</c> in every run folder)
/// and that <c>lrt info</c> prints: what is needed to tell whether two results are comparable.
/// </summary>
/// <param name="LowRankTrainerVersion">This framework's assembly version.</param>
/// <param name="DotnetVersion">The .NET runtime description.</param>
/// <param name="Os">The operating system description.</param>
/// <param name="Architecture">The process architecture (x64, arm64).</param>
/// <param name="ProcessorCount">Logical processors visible to the process.</param>
/// <param name="Torch">What the shim was built against and sees (version, CUDA, ABI, BLAS, threads).</param>
public sealed record EnvironmentReport(
    string LowRankTrainerVersion,
    string DotnetVersion,
    string Os,
    string Architecture,
    int ProcessorCount,
    BuildInfo Torch)
{
    private static readonly JsonSerializerOptions _json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Reads the current process's environment (loads the shim if it is not loaded yet).</summary>
    public static EnvironmentReport Capture() => new(
        typeof(EnvironmentReport).Assembly.GetName().Version?.ToString() ?? "0.0.0",
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription,
        RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        Environment.ProcessorCount,
        TorchRuntime.GetBuildInfo());

    /// <summary>The report as indented JSON with snake_case keys (the <c>env.json</c> format).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, _json);
}
