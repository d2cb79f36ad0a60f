using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>A scratch folder of YAML files for config tests, deleted when disposed.</summary>
internal sealed class ConfigTestFiles : IDisposable
{
    public ConfigTestFiles() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "lrt-config-" + Guid.NewGuid().ToString("N"));

    /// <summary>Writes <paramref name="yaml"/> to <paramref name="name"/> (LF line ends) and returns its full path.</summary>
    public string Write(string name, string yaml)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml.ReplaceLineEndings("\n"));
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The repository root (the folder holding LowRankTrainer.sln).</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LowRankTrainer.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"LowRankTrainer.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Loads and asserts exactly one diagnostic, returning it.</summary>
    public static ConfigDiagnostic SingleError(string path, params string[] overrides)
    {
        var result = ConfigLoader.Load(path, overrides);
        Assert.Null(result.Config);
        return Assert.Single(result.Diagnostics);
    }

    /// <summary>Loads and asserts success, returning the config.</summary>
    public static ExperimentConfig Valid(string path, params string[] overrides)
    {
        var result = ConfigLoader.Load(path, overrides);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return result.Config!;
    }
}
