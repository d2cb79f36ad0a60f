using System.IO.MemoryMappedFiles;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Checkpoints.Safetensors;

/// <summary>
/// A safetensors file opened for reading (format: see <see cref="SafetensorsWriter"/> and the README
/// of huggingface/safetensors). The file is memory-mapped; the header is parsed and validated when
/// the file is opened, before any tensor data is read, and each <see cref="Load"/> copies one tensor
/// straight from the mapped pages into a new tensor, so the file is never read whole into managed memory.
/// </summary>
/// <remarks>
/// Validation follows the reference reader and rejects, with a <see cref="SafetensorsFormatException"/>
/// naming the file and tensor: a file shorter than 8 bytes; a header longer than 100,000,000 bytes or
/// than the file; a header that is not UTF-8, does not start with <c>{</c> or is not JSON; unknown
/// dtypes; negative or non-integer dimensions; <c>data_offsets</c> that are not [begin ≤ end]; a byte
/// range whose length differs from element count × element size or that ends past the file; tensors
/// that overlap, leave gaps or do not reach the end of the file; duplicate names; and a
/// <c>__metadata__</c> that is not a string-to-string map. Dispose releases the mapping; tensors
/// already loaded stay valid. Not thread-safe against <see cref="Dispose"/>.
/// </remarks>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    private readonly long _dataStart;
    private byte* _base;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer,
                            SafetensorsHeader header)
    {
        FilePath = path;
        _map = map;
        _view = view;
        _base = basePointer;
        _dataStart = header.DataStart;
        Tensors = header.Tensors;
        Metadata = header.Metadata;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Opens, maps and validates <paramref name="path"/>.</summary>
    /// <exception cref="SafetensorsFormatException">The header is malformed.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian) SafetensorsDTypes.ThrowBigEndian();
        var fullPath = Path.GetFullPath(path);
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            var length = stream.Length;
            // Checked before mapping: an empty file cannot be mapped at all.
            if (length < 8) throw SafetensorsHeaderParser.TooSmall(fullPath, length);
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            pointer += view.PointerOffset;
            var head = new ReadOnlySpan<byte>(pointer, (int)Math.Min(length, 8 + SafetensorsHeaderParser.MaxHeaderLength));
            var header = SafetensorsHeaderParser.Parse(head, length, fullPath);
            return new SafetensorsFile(fullPath, map, view, pointer, header);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="path"/>, loads every tensor and closes it again.</summary>
    public static OrderedDictionary<string, Tensor> ReadAll(string path, Device device = default)
    {
        using var file = Open(path);
        return file.LoadAll(device);
    }

    /// <summary>The file's full path.</summary>
    public string FilePath { get; }

    /// <summary>Every tensor entry, in data order (by offset).</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor names, in data order.</summary>
    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    /// <summary>True if the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The entry of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the file.</exception>
    public SafetensorsTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{FilePath}: no tensor named '{name}' (the file holds {_byName.Count})");
    }

    /// <summary>Copies tensor <paramref name="name"/> from the file into a new tensor on <paramref name="device"/>.</summary>
    /// <exception cref="SafetensorsFormatException">The dtype has no binding counterpart, or a BOOL tensor holds a byte other than 0/1.</exception>
    public Tensor Load(string name, Device device = default)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        var info = GetInfo(name);
        if (info.DType is not { } dtype)
        {
            throw new SafetensorsFormatException(SafetensorsError.UnsupportedDType, FilePath, name,
                $"unsupported dtype {info.DTypeCode}: the binding loads F32, F64, BF16, F16, I64, I32, BOOL and U8");
        }
        if (info.ElementCount > int.MaxValue)
        {
            throw new NotSupportedException($"{FilePath}: tensor '{name}' has {info.ElementCount} elements; loading is limited to {int.MaxValue}");
        }
        var data = _base + _dataStart + info.DataBegin;
        var count = (int)info.ElementCount;
        var shape = info.ShapeArray;
        // The data may sit at any alignment (the format does not require it); the spans below are only
        // handed to the native copy (memcpy), never read element-wise.
        return dtype switch
        {
            DType.Float32 => Tensor.From(new ReadOnlySpan<float>(data, count), shape, device),
            DType.Float64 => Tensor.From(new ReadOnlySpan<double>(data, count), shape, device),
            DType.BFloat16 => Tensor.From(new ReadOnlySpan<BFloat16>(data, count), shape, device),
            DType.Float16 => Tensor.From(new ReadOnlySpan<Half>(data, count), shape, device),
            DType.Int64 => Tensor.From(new ReadOnlySpan<long>(data, count), shape, device),
            DType.Int32 => Tensor.From(new ReadOnlySpan<int>(data, count), shape, device),
            DType.UInt8 => Tensor.From(new ReadOnlySpan<byte>(data, count), shape, device),
            DType.Bool => LoadBool(name, data, count, shape, device),
            _ => throw new NotSupportedException($"no loader for {dtype}"),
        };
    }

    private Tensor LoadBool(string name, byte* data, int count, long[] shape, Device device)
    {
        // A bool stored as 2..255 is undefined behaviour in libtorch; reject it instead of copying it in.
        var bytes = new ReadOnlySpan<byte>(data, count);
        var bad = bytes.IndexOfAnyExcept((byte)0, (byte)1);
        if (bad >= 0)
        {
            throw new SafetensorsFormatException(SafetensorsError.InvalidBoolValue, FilePath, name,
                $"element {bad} is the byte {bytes[bad]}; BOOL elements must be 0 or 1");
        }
        return Tensor.From(new ReadOnlySpan<bool>(data, count), shape, device);
    }

    /// <summary>Loads every tensor, in data order. On failure the tensors loaded so far are disposed.</summary>
    public OrderedDictionary<string, Tensor> LoadAll(Device device = default)
    {
        var result = new OrderedDictionary<string, Tensor>(Tensors.Count, StringComparer.Ordinal);
        try
        {
            foreach (var info in Tensors) result.Add(info.Name, Load(info.Name, device));
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Unmaps the file. Tensors already loaded are unaffected.</summary>
    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
