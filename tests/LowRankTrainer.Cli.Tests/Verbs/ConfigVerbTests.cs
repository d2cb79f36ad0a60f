using LowRankTrainer.Cli.Verbs;
using LowRankTrainer.Config;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary>lrt validate and lrt print-config, run in-process: output and exit codes.</summary>
public sealed class ConfigVerbTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lrt-verbs-" + Guid.NewGuid().ToString("N"));

    public ConfigVerbTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml.ReplaceLineEndings("\n"));
        return path;
    }

    private static (int Code, string Out, string Err) Validate(params string[] args) => CliRun.Run(ValidateVerb.Run, args);

    private static (int Code, string Out, string Err) PrintConfig(params string[] args) => CliRun.Run(PrintConfigVerb.Run, args);

    private static string Quickstart() => CliTestPaths.Quickstart();

    [Fact]
    public void Validate_GoodConfig_PrintsOk_Exit0()
    {
        var (code, output, err) = Validate(Quickstart(), "train.learning_rate=3e-4");
        Assert.Equal((ExitCodes.Ok, "ok\n", ""), (code, output.ReplaceLineEndings("\n"), err));
    }

    [Fact]
    public void Validate_BadConfig_PrintsEveryErrorCompilerStyle_Exit2()
    {
        var path = Write("bad.yaml", "train:\n  learning_rate: 0\n  num_train_epoch: 2\n");
        var (code, output, err) = Validate(path, "train.lr=3e-4");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        var lines = err.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Equal(
            [
                $"{path}(3,3): error LRT0101: unknown key 'train.num_train_epoch' (did you mean 'train.num_train_epochs'?)",
                "<override 1: train.lr=3e-4>: error LRT0101: unknown key 'train.lr' (did you mean 'train.learning_rate'?)",
                $"lrt validate: 2 errors in {path}",
            ],
            lines);
    }

    [Fact]
    public void Validate_RangeError_HasItsPosition_Exit2()
    {
        var path = Write("bad.yaml", "train:\n  learning_rate: 0\n");
        var (code, _, err) = Validate(path);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith($"{path}(2,3): error LRT0201: train.learning_rate must be > 0 (got 0)", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingFile_Exit2_WithAClearMessage()
    {
        var path = Path.Combine(_dir, "missing.yaml");
        var (code, _, err) = Validate(path);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"config file not found: {path}", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("--bogus", "x.yaml")]
    public void Validate_BadUsage_Exit2_WithUsage(params string[] args)
    {
        var (code, _, err) = Validate(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("usage: lrt validate", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Help_Exit0()
    {
        var (code, output, _) = Validate("--help");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("usage: lrt validate", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PrintConfig_PrintsTheResolvedYaml_WhichIsItselfAValidConfig()
    {
        var (code, output, err) = PrintConfig(Quickstart(), "train.seed=7", "model.hidden_sizes=[128,64]");
        Assert.Equal((ExitCodes.Ok, ""), (code, err));
        Assert.Contains("  seed: 7\n", output, StringComparison.Ordinal);
        Assert.Contains("  hidden_sizes: [128, 64]\n", output, StringComparison.Ordinal);
        Assert.Contains("  warmup_ratio: 0.05\n", output, StringComparison.Ordinal);
        Assert.Contains("  save_steps: 500\n", output, StringComparison.Ordinal); // a default, filled in
        var printed = Write("printed.yaml", output);
        var again = PrintConfig(printed);
        Assert.Equal((ExitCodes.Ok, output), (again.Code, again.Out));
        Assert.Equal("quickstart", ConfigLoader.Load(printed, []).Config!.Name);
    }

    [Fact]
    public void PrintConfig_BadOverride_Exit2_NamesTheOverride()
    {
        var (code, output, err) = PrintConfig(Quickstart(), "train.learning_rate");
        Assert.Equal((ExitCodes.Usage, ""), (code, output));
        Assert.StartsWith("<override 1: train.learning_rate>: error LRT0104: ", err, StringComparison.Ordinal);
    }
}
