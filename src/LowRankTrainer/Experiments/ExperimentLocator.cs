using System.Diagnostics;

namespace LowRankTrainer.Experiments;

/// <summary>Finds experiment folders, the repository they live in, and its source revision.</summary>
public static class ExperimentLocator
{
    /// <summary>The repository marker: the solution file at the top level.</summary>
    public const string RepositoryMarker = "LowRankTrainer.sln";

    /// <summary>
    /// The experiment folder for <paramref name="nameOrPath"/>: a folder holding experiment.yaml, or
    /// <c>experiments/&lt;name&gt;</c> in the working directory or any folder above it.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such experiment (the message lists the ones found).</exception>
    public static string Find(string nameOrPath, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        ArgumentNullException.ThrowIfNull(workingDirectory);
        var direct = Path.GetFullPath(nameOrPath, workingDirectory);
        if (File.Exists(Path.Combine(direct, ExperimentManifest.FileName))) return direct;
        for (var dir = new DirectoryInfo(workingDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "experiments", nameOrPath);
            if (File.Exists(Path.Combine(candidate, ExperimentManifest.FileName))) return candidate;
        }
        var known = ExperimentsFolder(workingDirectory) is { } folder ? List(folder) : [];
        throw new DirectoryNotFoundException($"no experiment '{nameOrPath}' (a folder with {ExperimentManifest.FileName}, or experiments/<name>)" +
            (known.Count > 0 ? $"; known: {string.Join(", ", known)}" : ""));
    }

    /// <summary>The nearest <c>experiments/</c> folder at or above <paramref name="workingDirectory"/>, or null.</summary>
    public static string? ExperimentsFolder(string workingDirectory)
    {
        for (var dir = new DirectoryInfo(workingDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "experiments");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The experiments (folders with a manifest) in <paramref name="experimentsFolder"/>, by name.</summary>
    public static IReadOnlyList<string> List(string experimentsFolder) =>
        Directory.EnumerateDirectories(experimentsFolder)
            .Where(d => File.Exists(Path.Combine(d, ExperimentManifest.FileName)))
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>The repository root above <paramref name="folder"/> (the folder holding the solution), or null.</summary>
    public static string? RepositoryRoot(string folder)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(folder)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, RepositoryMarker))) return dir.FullName;
        }
        return null;
    }

    /// <summary>
    /// <c>git rev-parse --short HEAD</c> of <paramref name="root"/>, with <c>+dirty</c> when tracked files outside
    /// experiments' results differ from it; <c>unknown</c> when git or the repository is unavailable.
    /// </summary>
    public static string Revision(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var head = Git(root, "rev-parse --short HEAD");
        if (head is null) return "unknown";
        var status = Git(root, "status --porcelain --untracked-files=no") ?? "";
        // Results and READMEs are what reproduce itself rewrites; they do not make the code that produced them dirty.
        var dirty = status.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Any(line => !(line.Contains("/results/", StringComparison.Ordinal) || line.EndsWith("README.md", StringComparison.Ordinal)
                || line.EndsWith("results.md", StringComparison.Ordinal) || line.Contains("/plots/", StringComparison.Ordinal)));
        return dirty ? head + "+dirty" : head;
    }

    private static string? Git(string root, string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", $"-C \"{root}\" {arguments}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(info);
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
