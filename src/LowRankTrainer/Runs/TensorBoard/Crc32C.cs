namespace LowRankTrainer.Runs.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli): the reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF (RFC 3720 §12.1,
/// iSCSI; the checksum TFRecord files carry), and TFRecord's masked form
/// <c>mask(c) = ((c &gt;&gt; 15) | (c &lt;&lt; 17)) + 0xA282EAD8</c> (mod 2³²; tensorflow/core/lib/hash/crc32c.h): a
/// CRC of data that itself holds CRCs is poorly distributed, so the stored value is rotated and offset.
/// </summary>
public static class Crc32C
{
    /// <summary>The reflected Castagnoli polynomial.</summary>
    public const uint Polynomial = 0x82F63B78;

    /// <summary>The constant TFRecord adds after rotating.</summary>
    public const uint MaskDelta = 0xA282EAD8;

    // One byte at a time through a 256-entry table (Sarwate): event records are small, so this is plenty fast.
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>TFRecord's masked CRC: the CRC rotated right by 15 bits plus <see cref="MaskDelta"/>.</summary>
    public static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + MaskDelta);

    /// <summary>The masked CRC-32C of <paramref name="data"/>, as a TFRecord stores it.</summary>
    public static uint MaskedCompute(ReadOnlySpan<byte> data) => Mask(Compute(data));

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
