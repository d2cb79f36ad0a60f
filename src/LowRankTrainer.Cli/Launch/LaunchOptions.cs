using System.Globalization;

namespace LowRankTrainer.Cli.Launch;

/// <summary>
/// The launcher's flags of <c>lrt train</c>: <c>--nproc N</c> and <c>--master-port P</c> (also as <c>--flag=value</c>),
/// taken out of the arguments so that what is left is exactly the command every rank runs.
/// </summary>
internal sealed record LaunchOptions
{
    /// <summary>The flag naming the number of ranks.</summary>
    public const string NprocFlag = "--nproc";

    /// <summary>The flag naming rank 0's rendezvous port.</summary>
    public const string MasterPortFlag = "--master-port";

    /// <summary>The number of ranks to start; null when <c>--nproc</c> was not given.</summary>
    public int? Nproc { get; init; }

    /// <summary>The rendezvous port; null for a free one.</summary>
    public int? MasterPort { get; init; }

    /// <summary>The arguments without the launcher's flags.</summary>
    public IReadOnlyList<string> Rest { get; init; } = [];

    /// <summary>
    /// Splits the launcher's flags off <paramref name="args"/>. Returns null with <paramref name="error"/> naming the flag
    /// when a value is missing or not a valid count or port.
    /// </summary>
    public static LaunchOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        error = null;
        int? nproc = null, port = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var flag = FlagOf(args[i]);
            if (flag is null)
            {
                rest.Add(args[i]);
                continue;
            }
            string? value;
            if (args[i].Length > flag.Length) value = args[i][(flag.Length + 1)..];
            else value = i + 1 < args.Count ? args[++i] : null;
            if (flag == NprocFlag)
            {
                if (!TryInt(value, 1, int.MaxValue, out var n)) return Fail($"{NprocFlag} needs a number of processes ≥ 1, got {Shown(value)}", out error);
                nproc = n;
            }
            else
            {
                if (!TryInt(value, 1, 65535, out var p)) return Fail($"{MasterPortFlag} needs a TCP port (1 … 65535), got {Shown(value)}", out error);
                port = p;
            }
        }
        if (port is not null && nproc is null) return Fail($"{MasterPortFlag} is the port of the ranks {NprocFlag} starts; it needs {NprocFlag}", out error);
        return new LaunchOptions { Nproc = nproc, MasterPort = port, Rest = rest };
    }

    private static string? FlagOf(string arg) =>
        new[] { NprocFlag, MasterPortFlag }.FirstOrDefault(f => arg == f || arg.StartsWith(f + "=", StringComparison.Ordinal));

    private static bool TryInt(string? value, int min, int max, out int result) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result) && result >= min && result <= max;

    private static string Shown(string? value) => value is null ? "nothing" : $"'{value}'";

    private static LaunchOptions? Fail(string message, out string? error)
    {
        error = message;
        return null;
    }
}
