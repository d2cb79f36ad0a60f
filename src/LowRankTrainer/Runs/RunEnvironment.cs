using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Config;
using LowRankTrainer.Experiments;

namespace LowRankTrainer.Runs;

/// <summary>
/// A run's <c>env.json</c>: the machine and libtorch (<see cref="EnvironmentReport"/>, what <c>lrt info</c> prints) plus
/// what ties the run to its inputs — the git revision of the working folder (with <c>+dirty</c>), the command line,
/// the SHA-256 of the resolved config and every seed in effect (defaults resolved), so two runs can be told
/// comparable or not without rerunning them.
/// </summary>
public static class RunEnvironment
{
    private static readonly JsonSerializerOptions _json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The env.json text for a run of <paramref name="config"/>, whose resolved YAML is <paramref name="resolvedConfigYaml"/>.</summary>
    /// <param name="config">The experiment.</param>
    /// <param name="resolvedConfigYaml">The resolved YAML (its SHA-256 is recorded).</param>
    /// <param name="startedAt">When the run started.</param>
    /// <param name="worldSize">Data-parallel ranks (1: a single process), recorded as <c>world_size</c>.</param>
    public static string Capture(ExperimentConfig config, string resolvedConfigYaml, DateTimeOffset startedAt, int worldSize = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(resolvedConfigYaml);
        var root = JsonNode.Parse(EnvironmentReport.Capture().ToJson())!.AsObject();
        root["git_revision"] = CodeRevision();
        root["command_line"] = new JsonArray([.. Environment.GetCommandLineArgs().Select(a => (JsonNode?)JsonValue.Create(a))]);
        root["hostname"] = Environment.MachineName;
        root["started_at"] = startedAt.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        root["config_sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(resolvedConfigYaml)));
        root["seeds"] = Seeds(config);
        root["world_size"] = worldSize;
        return root.ToJsonString(_json);
    }

    /// <summary>
    /// The git revision of the code that runs: the repository holding this binary (a build inside a checkout), else the
    /// one around the working folder, else <c>unknown</c> (an installed binary run outside any checkout).
    /// </summary>
    public static string CodeRevision()
    {
        foreach (var folder in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            var revision = ExperimentLocator.Revision(folder);
            if (revision != "unknown") return revision;
        }
        return "unknown";
    }

    /// <summary>Every seed of the run with its default resolved (HF's <c>data_seed</c> defaults to <c>seed</c>, and so on).</summary>
    public static JsonObject Seeds(ExperimentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var t = config.Train;
        var seeds = new JsonObject
        {
            ["train.seed"] = t.Seed,
            ["train.data_seed"] = t.DataSeed ?? t.Seed,
            ["data.split_seed"] = config.Data.SplitSeed,
        };
        if (config.Adapter.Method != "none") seeds["adapter.init_seed"] = config.Adapter.InitSeed ?? t.Seed;
        if (config.Adapter.ProjectionSeed is { } projection) seeds["adapter.projection_seed"] = projection; // when unset, the method derives it (see adapter_config.json)
        if (config.Data.Transform != "none") seeds["data.transform_seed"] = config.Data.TransformSeed;
        if (config.Data.Dataset == "synthetic_linear") seeds["data.synthetic_seed"] = config.Data.SyntheticSeed;
        return seeds;
    }
}
