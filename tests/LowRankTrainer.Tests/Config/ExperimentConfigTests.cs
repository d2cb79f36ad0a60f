using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>The committed experiment configs (experiments/*/*.yaml) validate, so their drivers do not fail half-way.</summary>
public sealed class ExperimentConfigTests
{
    public static TheoryData<string> ExperimentConfigs()
    {
        var dir = Path.Combine(ConfigTestFiles.RepoRoot(), "experiments");
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(dir, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(dir, f).Replace('\\', '/');
            // Run folders (git-ignored) and results/ hold resolved copies of what ran, not committed configs;
            // experiment.yaml is an experiment manifest (ManifestTests, ReproduceVerbTests), not a config.
            var parts = relative.Split('/');
            if (!parts.Contains("runs") && !parts.Contains("results") && parts[^1] != "experiment.yaml") data.Add(relative);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ExperimentConfigs))]
    public void ExperimentConfig_Validates(string relativePath) =>
        ConfigTestFiles.Valid(Path.Combine(ConfigTestFiles.RepoRoot(), "experiments", relativePath));

    [Fact]
    public void MatryoshkaTruncationBaseline_TrainsOnlyTheFullSize()
    {
        var config = ConfigTestFiles.Valid(Path.Combine(ConfigTestFiles.RepoRoot(), "experiments", "mrl", "configs", "truncation.yaml"));
        Assert.True(config.Loss.Matryoshka.Efficient);
        Assert.Equal([0.0, 0, 0, 0, 0, 1], config.Loss.Matryoshka.Weights);
        Assert.Equal(64, config.Loss.Matryoshka.Dims[^1]);
    }
}
