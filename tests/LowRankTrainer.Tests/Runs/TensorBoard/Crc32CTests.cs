using LowRankTrainer.Runs.TensorBoard;

namespace LowRankTrainer.Tests.Runs.TensorBoard;

/// <summary>CRC-32C against RFC 3720's published vectors, and TFRecord's mask worked by hand.</summary>
public sealed class Crc32CTests
{
    [Fact]
    public void Rfc3720_TestVectors()
    {
        // RFC 3720, Appendix B.4 "CRC Examples".
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Fact]
    public void CheckValue_And_EmptyInput()
    {
        // The catalogue's check value of CRC-32/ISCSI over the ASCII digits "123456789"; the empty input leaves 0.
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Mask_RotatesRight15_ThenAddsTheDelta()
    {
        Assert.Equal(0xA282EAD8u, Crc32C.Mask(0));
        // 0x8A9136AA >> 15 = 0x00011522, << 17 (mod 2^32) = 0x6D540000; or = 0x6D551522; + 0xA282EAD8 = 0x1_0FD7FFFA (mod 2^32).
        Assert.Equal(0x0FD7FFFAu, Crc32C.Mask(0x8A9136AA));
        Assert.Equal(Crc32C.Mask(Crc32C.Compute("abc"u8)), Crc32C.MaskedCompute("abc"u8));
    }
}
