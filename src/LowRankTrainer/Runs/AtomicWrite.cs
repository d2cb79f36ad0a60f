using System.Text;

namespace LowRankTrainer.Runs;

/// <summary>
/// Writes that a crash (SIGKILL, power loss) cannot leave half-done: the content goes to a hidden temporary sibling
/// first and is renamed into place, and a rename within one file system is atomic on POSIX — a reader sees the old
/// state or the new one, never a mix. Leftover <c>.tmp-*</c> siblings of a killed write are ignored by every reader.
/// </summary>
public static class AtomicWrite
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8, no BOM), flushed to disk before the rename.</summary>
    public static void Text(string path, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(text);
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".tmp-{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(new UTF8Encoding(false).GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Creates the folder <paramref name="target"/> with what <paramref name="write"/> puts into the temporary folder
    /// it is given. An existing <paramref name="target"/> is replaced: moved aside only once the new content is
    /// complete, and deleted last. On failure the temporary folder is removed and an existing target is untouched.
    /// </summary>
    public static void Folder(string target, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(Path.TrimEndingDirectorySeparator(target));
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".tmp-{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            string? old = null;
            if (Directory.Exists(full))
            {
                old = Path.Combine(parent, $".tmp-old-{Path.GetFileName(full)}-{Guid.NewGuid():N}");
                Directory.Move(full, old);
            }
            Directory.Move(temp, full);
            if (old is not null) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Deletes a folder so that no partly deleted copy keeps its name: it is renamed to a hidden <c>.tmp-</c> sibling
    /// first (atomic), then removed.
    /// </summary>
    public static void DeleteFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder));
        var doomed = Path.Combine(Path.GetDirectoryName(full)!, $".tmp-delete-{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        Directory.Move(full, doomed);
        Directory.Delete(doomed, recursive: true);
    }
}
