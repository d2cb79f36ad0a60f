using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Checkpoints;

/// <summary>A failed write leaves the previous file untouched and no temporary file behind.</summary>
public class SafetensorsAtomicWriteTests
{
    private static (string Path, byte[] Bytes) WriteOriginal(SafetensorsTestFiles files)
    {
        var path = files.PathOf("model.safetensors");
        using (new DisposeScope())
        {
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["old"] = Tensor.From<float>(1f, 2f, 3f) });
        }
        return (path, File.ReadAllBytes(path));
    }

    [Fact]
    public void Write_FailingAfterTheHeader_KeepsThePreviousFile_AndRemovesTheTempFile()
    {
        using var files = new SafetensorsTestFiles();
        var (path, original) = WriteOriginal(files);
        using var scope = new DisposeScope();
        var good = Tensor.From<float>(4f, 5f);
        var broken = Tensor.From<float>(6f, 7f);
        // Reading dtype and shape first caches them, so the header is built and written; the copy of
        // the data then fails on the disposed handle, part-way through the file ("z" sorts last).
        _ = (broken.DType, broken.Shape);
        broken.Dispose();

        Assert.Throws<ObjectDisposedException>(() =>
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = good, ["z"] = broken }));

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(files.Folder));
    }

    [Fact]
    public void Write_DisposedTensor_KeepsThePreviousFile_AndLeavesNoTempFile()
    {
        using var files = new SafetensorsTestFiles();
        var (path, original) = WriteOriginal(files);
        var disposed = Tensor.Zeros(3);
        disposed.Dispose();

        Assert.Throws<ObjectDisposedException>(() =>
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = disposed }));

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(files.Folder));
    }

    [Fact]
    public void Write_OverAnExistingFile_ReplacesIt()
    {
        using var files = new SafetensorsTestFiles();
        var (path, _) = WriteOriginal(files);
        using var scope = new DisposeScope();

        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["new"] = Tensor.From<long>(9L) });

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["new"], file.Names);
        Assert.Equal([9L], file.Load("new").ToArray<long>());
        Assert.Equal([path], Directory.GetFiles(files.Folder));
    }
}
