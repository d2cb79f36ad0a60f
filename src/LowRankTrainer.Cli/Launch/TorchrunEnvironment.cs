using System.Globalization;

namespace LowRankTrainer.Cli.Launch;

/// <summary>
/// Where this process sits in a data-parallel run, read from the variables torchrun sets (and <c>lrt train --nproc</c>
/// sets for its children): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. Reading the same names as torchrun
/// means <c>torchrun --no-python lrt train ...</c>, a Slurm wrapper, or a hand-written script start ranks the same way.
/// </summary>
public sealed record TorchrunEnvironment
{
    /// <summary>The variable holding the number of ranks.</summary>
    public const string WorldSizeVariable = "WORLD_SIZE";

    /// <summary>The variable holding this process's rank, 0 … WORLD_SIZE − 1.</summary>
    public const string RankVariable = "RANK";

    /// <summary>The variable holding this process's rank on its machine.</summary>
    public const string LocalRankVariable = "LOCAL_RANK";

    /// <summary>The variable holding the host of rank 0's rendezvous store.</summary>
    public const string MasterAddrVariable = "MASTER_ADDR";

    /// <summary>The variable holding the port of rank 0's rendezvous store.</summary>
    public const string MasterPortVariable = "MASTER_PORT";

    /// <summary>This process's rank, 0 … <see cref="WorldSize"/> − 1 (rank 0 writes the run folder).</summary>
    public int Rank { get; init; }

    /// <summary>The number of ranks; 1 is a plain single-process run.</summary>
    public int WorldSize { get; init; } = 1;

    /// <summary>This process's rank on its machine (LOCAL_RANK; RANK when unset).</summary>
    public int LocalRank { get; init; }

    /// <summary>The host rank 0 serves the rendezvous store on (MASTER_ADDR); null for a single process that did not set it.</summary>
    public string? MasterAddr { get; init; }

    /// <summary>The port of the rendezvous store (MASTER_PORT); 0 for a single process that did not set it.</summary>
    public int MasterPort { get; init; }

    /// <summary>True when this process is one of several ranks and must join a process group.</summary>
    public bool IsDistributed => WorldSize > 1;

    /// <summary>
    /// Reads the variables through <paramref name="getVariable"/> (<see cref="Environment.GetEnvironmentVariable(string)"/>
    /// in the CLI; a dictionary in tests). Returns true with <paramref name="environment"/> null when WORLD_SIZE is unset
    /// (not launched as a rank); false with <paramref name="error"/> naming the offending variable and its value when a
    /// value is missing or wrong: a half-set environment is a launch mistake, and guessing a rank would make two
    /// processes both write as rank 0.
    /// </summary>
    public static bool TryRead(Func<string, string?> getVariable, out TorchrunEnvironment? environment, out string? error)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        environment = null;
        error = null;
        var worldText = getVariable(WorldSizeVariable);
        if (string.IsNullOrEmpty(worldText)) return true;
        if (!TryInt(WorldSizeVariable, worldText, out var world, ref error)) return false;
        if (world < 1) return Fail($"{WorldSizeVariable}={worldText} must be at least 1", out error);

        var rankText = getVariable(RankVariable);
        if (string.IsNullOrEmpty(rankText)) return Fail($"{RankVariable} is not set, but {WorldSizeVariable}={worldText} is: every rank needs its own {RankVariable}, 0 … {world - 1}", out error);
        if (!TryInt(RankVariable, rankText, out var rank, ref error)) return false;
        if (rank < 0 || rank >= world) return Fail($"{RankVariable}={rankText} is outside 0 … {world - 1} ({WorldSizeVariable}={worldText})", out error);

        // LOCAL_RANK only matters for picking a device on a multi-process machine; torchrun always sets it, a
        // hand-written launch on one process per machine need not.
        var localRank = rank;
        var localText = getVariable(LocalRankVariable);
        if (!string.IsNullOrEmpty(localText))
        {
            if (!TryInt(LocalRankVariable, localText, out localRank, ref error)) return false;
            if (localRank < 0 || localRank >= world) return Fail($"{LocalRankVariable}={localText} is outside 0 … {world - 1} ({WorldSizeVariable}={worldText})", out error);
        }

        // A single process joins no group, so it needs no rendezvous address; several cannot meet without one.
        var addr = getVariable(MasterAddrVariable);
        if (string.IsNullOrEmpty(addr)) addr = null;
        if (addr is null && world > 1) return Fail($"{MasterAddrVariable} is not set, but {WorldSizeVariable}={worldText} is: the ranks meet at rank 0's MASTER_ADDR:MASTER_PORT", out error);
        if (addr is not null && addr.Any(char.IsWhiteSpace)) return Fail($"{MasterAddrVariable}='{addr}' is not a host name or address", out error);

        var port = 0;
        var portText = getVariable(MasterPortVariable);
        if (string.IsNullOrEmpty(portText))
        {
            if (world > 1) return Fail($"{MasterPortVariable} is not set, but {WorldSizeVariable}={worldText} is: the ranks meet at rank 0's MASTER_ADDR:MASTER_PORT", out error);
        }
        else
        {
            if (!TryInt(MasterPortVariable, portText, out port, ref error)) return false;
            if (port is < 1 or > 65535) return Fail($"{MasterPortVariable}={portText} is not a TCP port (1 … 65535)", out error);
        }

        environment = new TorchrunEnvironment { Rank = rank, WorldSize = world, LocalRank = localRank, MasterAddr = addr, MasterPort = port };
        return true;
    }

    private static bool TryInt(string name, string text, out int value, ref string? error)
    {
        if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return true;
        error = $"{name}='{text}' is not a whole number";
        return false;
    }

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
