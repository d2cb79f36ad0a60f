using LowRankTrainer.Runs;

namespace LowRankTrainer.Tests.Runs;

public sealed class AtomicWriteTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lrt-atomic-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Folder_AppearsWhole_AndAFailedWriteLeavesNothing()
    {
        var target = Path.Combine(_root, "final");
        AtomicWrite.Folder(target, temp =>
        {
            Assert.False(Directory.Exists(target)); // nothing under the real name while writing
            File.WriteAllText(Path.Combine(temp, "a.txt"), "a");
        });
        Assert.Equal("a", File.ReadAllText(Path.Combine(target, "a.txt")));

        var other = Path.Combine(_root, "other");
        Assert.Throws<IOException>(() => AtomicWrite.Folder(other, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "half.txt"), "half");
            throw new IOException("disk full");
        }));
        Assert.False(Directory.Exists(other));
        Assert.Equal([target], Directory.GetDirectories(_root)); // no .tmp-* left behind
    }

    [Fact]
    public void Text_ReplacesTheFile_AndLeavesNoTemporary()
    {
        var path = Path.Combine(_root, "summary.json");
        AtomicWrite.Text(path, "{\"a\": 1}");
        AtomicWrite.Text(path, "{\"a\": 2}");
        Assert.Equal("{\"a\": 2}", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_root));
    }

    [Fact]
    public void DeleteFolder_RemovesItAndItsContents()
    {
        var folder = Path.Combine(_root, "checkpoints", "step-000010");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "sub", "x"), "x");
        AtomicWrite.DeleteFolder(folder);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_root, "checkpoints")));
    }
}
