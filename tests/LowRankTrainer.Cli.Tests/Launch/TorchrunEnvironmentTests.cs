using LowRankTrainer.Cli.Launch;

namespace LowRankTrainer.Cli.Tests.Launch;

/// <summary>torchrun's variables: a complete environment, a single process, and every mistake named with its value.</summary>
public class TorchrunEnvironmentTests
{
    private static (bool Ok, TorchrunEnvironment? Environment, string? Error) Read(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        var ok = TorchrunEnvironment.TryRead(name => map.GetValueOrDefault(name), out var environment, out var error);
        return (ok, environment, error);
    }

    private static readonly (string, string)[] Rank1Of2 =
        [("WORLD_SIZE", "2"), ("RANK", "1"), ("LOCAL_RANK", "1"), ("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", "29500")];

    [Fact]
    public void NoWorldSize_IsNotARank()
    {
        var (ok, environment, error) = Read(("RANK", "3"), ("MASTER_ADDR", "x"));
        Assert.True(ok);
        Assert.Null(environment);
        Assert.Null(error);
    }

    [Fact]
    public void TorchrunsVariables_AreReadAsTheyAre()
    {
        var (ok, environment, error) = Read(Rank1Of2);
        Assert.True(ok, error);
        Assert.Equal(new TorchrunEnvironment { WorldSize = 2, Rank = 1, LocalRank = 1, MasterAddr = "127.0.0.1", MasterPort = 29500 }, environment);
        Assert.True(environment!.IsDistributed);
    }

    [Fact]
    public void WorldSizeOne_IsAPlainSingleProcess_WithoutAnAddress()
    {
        var (ok, environment, error) = Read(("WORLD_SIZE", "1"), ("RANK", "0"));
        Assert.True(ok, error);
        Assert.False(environment!.IsDistributed);
        Assert.Equal(0, environment.Rank);
        Assert.Null(environment.MasterAddr);
    }

    [Fact]
    public void LocalRank_DefaultsToTheRank()
    {
        var (ok, environment, error) = Read(("WORLD_SIZE", "4"), ("RANK", "3"), ("MASTER_ADDR", "node0"), ("MASTER_PORT", "1234"));
        Assert.True(ok, error);
        Assert.Equal(3, environment!.LocalRank);
    }

    public static TheoryData<string, string?, string> Mistakes => new()
    {
        // variable, value (null: unset), what the message must also say
        { "WORLD_SIZE", "two", "'two' is not a whole number" },
        { "WORLD_SIZE", "0", "WORLD_SIZE=0 must be at least 1" },
        { "WORLD_SIZE", "-2", "WORLD_SIZE=-2" },
        { "RANK", null, "RANK is not set, but WORLD_SIZE=2 is" },
        { "RANK", "1.5", "RANK='1.5' is not a whole number" },
        { "RANK", "2", "RANK=2 is outside 0 … 1 (WORLD_SIZE=2)" },
        { "RANK", "-1", "RANK=-1 is outside 0 … 1" },
        { "LOCAL_RANK", "x", "LOCAL_RANK='x'" },
        { "LOCAL_RANK", "7", "LOCAL_RANK=7 is outside 0 … 1" },
        { "MASTER_ADDR", null, "MASTER_ADDR is not set, but WORLD_SIZE=2 is" },
        { "MASTER_ADDR", "", "MASTER_ADDR is not set" },
        { "MASTER_ADDR", "a host", "MASTER_ADDR='a host'" },
        { "MASTER_PORT", null, "MASTER_PORT is not set, but WORLD_SIZE=2 is" },
        { "MASTER_PORT", "http", "MASTER_PORT='http' is not a whole number" },
        { "MASTER_PORT", "0", "MASTER_PORT=0 is not a TCP port (1 … 65535)" },
        { "MASTER_PORT", "70000", "MASTER_PORT=70000 is not a TCP port" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void EveryMistake_NamesTheVariableAndItsValue(string variable, string? value, string expected)
    {
        var variables = Rank1Of2.Where(v => v.Item1 != variable).ToList();
        if (value is not null) variables.Add((variable, value));
        var (ok, environment, error) = Read([.. variables]);
        Assert.False(ok);
        Assert.Null(environment);
        Assert.Contains(variable, error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
