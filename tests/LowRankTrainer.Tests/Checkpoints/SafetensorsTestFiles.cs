using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Checkpoints;

/// <summary>A temporary folder, deleted on dispose, plus helpers to craft safetensors bytes by hand.</summary>
internal sealed class SafetensorsTestFiles : IDisposable
{
    public SafetensorsTestFiles()
    {
        Folder = Path.Combine(Path.GetTempPath(), "lrt-st-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>Writes an 8-byte prefix (the header's byte length unless overridden), the header and the data.</summary>
    public string WriteRaw(string name, string header, byte[]? data = null, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data?.CopyTo(bytes, 8 + json.Length);
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>The tensor's elements as raw bytes (bit-exact comparison for every dtype, NaNs included).</summary>
    public static byte[] RawBytes(Tensor t) => t.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes<float>(t.ToArray<float>()).ToArray(),
        DType.Float64 => MemoryMarshal.AsBytes<double>(t.ToArray<double>()).ToArray(),
        DType.BFloat16 => MemoryMarshal.AsBytes<BFloat16>(t.ToArray<BFloat16>()).ToArray(),
        DType.Float16 => MemoryMarshal.AsBytes<Half>(t.ToArray<Half>()).ToArray(),
        DType.Int64 => MemoryMarshal.AsBytes<long>(t.ToArray<long>()).ToArray(),
        DType.Int32 => MemoryMarshal.AsBytes<int>(t.ToArray<int>()).ToArray(),
        DType.Bool => MemoryMarshal.AsBytes<bool>(t.ToArray<bool>()).ToArray(),
        DType.UInt8 => t.ToArray<byte>(),
        _ => throw new NotSupportedException(t.DType.ToString()),
    };

    /// <summary>Finds the repository root: the folder above the test binaries that holds LowRankTrainer.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LowRankTrainer.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no LowRankTrainer.sln above {AppContext.BaseDirectory}");
    }
}
