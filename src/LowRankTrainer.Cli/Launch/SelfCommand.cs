using System.Reflection;

namespace LowRankTrainer.Cli.Launch;

/// <summary>How to start this same <c>lrt</c> again: the executable and the arguments that come before the verb.</summary>
internal static class SelfCommand
{
    /// <summary>
    /// The program and leading arguments that run this lrt. Run as <c>dotnet lrt.dll</c>, <see cref="Environment.ProcessPath"/>
    /// is the dotnet host, which needs the entry assembly's path first; run through the apphost (<c>lrt</c>), it is the
    /// apphost itself and needs nothing before the verb.
    /// </summary>
    public static (string Program, IReadOnlyList<string> Leading) Current()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable runs this process, so cannot start the ranks");
        if (!Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return (process, []);
        var entry = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(entry)) throw new InvalidOperationException("cannot find lrt.dll (the entry assembly has no path), so cannot start the ranks");
        return (process, [entry]);
    }
}
