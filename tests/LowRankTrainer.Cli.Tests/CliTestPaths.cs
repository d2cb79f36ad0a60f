namespace LowRankTrainer.Cli.Tests;

/// <summary>Files of the repository the CLI tests run against, found above the test binaries.</summary>
internal static class CliTestPaths
{
    /// <summary>The repository root (the folder holding LowRankTrainer.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LowRankTrainer.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("LowRankTrainer.sln not found above the test binaries");
    }

    /// <summary>configs/quickstart.yaml.</summary>
    public static string Quickstart() => Path.Combine(RepositoryRoot(), "configs", "quickstart.yaml");
}
