using System.Globalization;

namespace LowRankTrainer.Torch;

/// <summary>Kinds of device a tensor can live on.</summary>
public enum DeviceType
{
    /// <summary>Host memory.</summary>
    Cpu = 0,
    /// <summary>An NVIDIA GPU.</summary>
    Cuda = 1,
}

/// <summary>A device: <c>cpu</c> or <c>cuda:N</c>. The default value is the CPU.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The host.</summary>
    public static Device Cpu => default;

    /// <summary>The CUDA device with the given index.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>Parses PyTorch's spelling: <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>.</summary>
    public static Device Parse(string text) =>
        TryParse(text, out var device) ? device : throw new FormatException($"'{text}' is not a device (expected cpu, cuda or cuda:N)");

    /// <summary>As <see cref="Parse"/>, answering false instead of throwing for anything else.</summary>
    public static bool TryParse(string text, out Device device)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        device = s == "cuda" ? Cuda() : Cpu;
        if (s is "cpu" or "cuda") return true;
        if (s.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(s.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            device = Cuda(index);
            return true;
        }
        return false;
    }

    /// <summary>PyTorch's spelling of the device.</summary>
    public override string ToString() =>
        Type == DeviceType.Cpu ? "cpu" : string.Create(CultureInfo.InvariantCulture, $"cuda:{Index}");
}
