using System.Globalization;

namespace LowRankTrainer.Runs;

/// <summary>
/// The process's resident memory from <c>/proc/self/status</c> (Linux): <c>VmRSS</c>, the resident set now,
/// and <c>VmHWM</c>, its high-water mark since the process started. On the CPU, libtorch allocates tensors
/// with malloc, so these are the CPU counterpart of <c>torch.cuda.max_memory_allocated</c> (they also count
/// the runtime, the dataset and allocator slack, so compare runs by the growth during training).
/// </summary>
public static class ProcessMemory
{
    private const string StatusFile = "/proc/self/status";

    /// <summary>The resident set size in bytes, or null where <c>/proc</c> is not available.</summary>
    public static long? ResidentBytes() => Read("VmRSS:");

    /// <summary>The peak resident set size in bytes since the process started, or null where <c>/proc</c> is not available.</summary>
    public static long? PeakResidentBytes() => Read("VmHWM:");

    /// <summary>Parses one "<paramref name="key"/>   1234 kB" line of a <c>/proc/[pid]/status</c> text.</summary>
    /// <returns>The value in bytes, or null when the key is absent.</returns>
    /// <exception cref="FormatException">The line is not "key value kB".</exception>
    public static long? Parse(string statusText, string key)
    {
        ArgumentNullException.ThrowIfNull(statusText);
        foreach (var line in statusText.Split('\n'))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var parts = line[key.Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || parts[1] != "kB" || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
            {
                throw new FormatException($"{StatusFile}: cannot read '{line.Trim()}' (expected '{key} <number> kB')");
            }
            return kib * 1024;
        }
        return null;
    }

    private static long? Read(string key)
    {
        if (!File.Exists(StatusFile)) return null;
        return Parse(File.ReadAllText(StatusFile), key);
    }
}
