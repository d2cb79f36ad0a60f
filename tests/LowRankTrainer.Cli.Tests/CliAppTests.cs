using System.Text.Json;

namespace LowRankTrainer.Cli.Tests;

public class CliAppTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(CliApp.Run, args);

    [Fact]
    public void Info_PrintsBuildInfoJson_AndPassesSelfCheck()
    {
        var (code, output, _) = Run("info");
        Assert.Equal(ExitCodes.Ok, code);
        var json = output[..(output.LastIndexOf('}') + 1)];
        using var doc = JsonDocument.Parse(json);
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("torch").GetProperty("torch_version").GetString()));
        Assert.Contains("self-check: sum([[1,2],[3,4]]²) = 54 (expected 54)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownVerb_ExitsWithUsageCode_AndNamesTheVerb()
    {
        var (code, _, err) = Run("trian");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown verb 'trian'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void NoArguments_PrintsUsage_AndExitsWithUsageCode()
    {
        var (code, _, err) = Run();
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("usage: lrt", err, StringComparison.Ordinal);
    }

    [Fact]
    public void InfoWithExtraArgument_IsAUsageError()
    {
        var (code, _, err) = Run("info", "--bogus");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unexpected argument '--bogus'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_PrintsUsage_AndSucceeds()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("exit codes: 0 ok, 1 failure, 2 usage or config error, 130 cancelled", output, StringComparison.Ordinal);
    }
}
