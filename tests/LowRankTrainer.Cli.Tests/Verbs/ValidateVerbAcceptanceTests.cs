using LowRankTrainer.Cli.Verbs;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary>
/// Issue 3's acceptance point through the verb itself: each kind of bad config gives a
/// file(line,col) or override-position error and exit code 2.
/// </summary>
public sealed class ValidateVerbAcceptanceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lrt-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string, string[], string> Cases => new()
    {
        { "unknown key", "train:\n  learning_rat: 1e-3\n", [], "(2,3): error LRT0101" },
        { "duplicate key", "train:\n  seed: 1\n  seed: 2\n", [], "(3,3): error LRT0102: duplicate key 'seed'" },
        { "wrong type", "train:\n  per_device_train_batch_size: eight\n", [], "(2,32): error" },
        { "out-of-range value", "train:\n  learning_rate: -1\n", [], "(2,3): error LRT0201" },
        { "conflicting keys", "train:\n  warmup_steps: 10\n  warmup_ratio: 0.1\n", [], "(2,3): error LRT0203: train.warmup_steps and train.warmup_ratio cannot both be set" },
        { "bad override", "train:\n  seed: 1\n", ["train.seed=abc"], "<override 1: train.seed=abc>: error" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadConfig_ReportsAPosition_AndExits2(string kind, string yaml, string[] overrides, string expected)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(overrides);
        var path = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(path, yaml);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = ValidateVerb.Run([path, .. overrides], stdout, stderr);
        Assert.True(code == ExitCodes.Usage, $"{kind}: exit {code}");
        var err = stderr.ToString();
        Assert.Contains(expected, err, StringComparison.Ordinal);
        if (overrides.Length == 0) Assert.Contains(path + "(", err, StringComparison.Ordinal);
    }
}
