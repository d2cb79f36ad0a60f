namespace LowRankTrainer.Tokenizers;

/// <summary>
/// GPT-2's reversible map between the 256 byte values and 256 printable Unicode characters
/// (<c>bytes_to_unicode</c> in OpenAI's <c>gpt-2/src/encoder.py</c>, also in the npm
/// <c>gpt-3-encoder</c> <c>Encoder.js</c>). Byte-level BPE works on text in which every UTF-8 byte is
/// replaced by one of these characters, so the vocabulary never needs whitespace or control characters.
/// </summary>
/// <remarks>
/// Algorithm: the printable bytes <c>'!'..'~'</c>, <c>'¡'..'¬'</c> and <c>'®'..'ÿ'</c> (188 values) map
/// to the character with the same code point; every other byte <c>b</c>, taken in increasing order,
/// maps to <c>U+0100 + n</c> where <c>n</c> counts the non-printable bytes before it. So space (0x20)
/// becomes <c>'Ġ'</c> (U+0120) and newline becomes <c>'Ċ'</c> (U+010A). All 256 characters lie in
/// U+0021..U+0143, so each is a single UTF-16 code unit.
/// </remarks>
public static class ByteUnicodeMap
{
    private static readonly char[] ByteToCharTable = Build();
    private static readonly short[] CharToByteTable = Invert(ByteToCharTable);

    /// <summary>The largest code point any byte maps to (U+0143).</summary>
    public const char MaxChar = '\u0143';

    /// <summary>The character that stands for byte <paramref name="value"/>.</summary>
    public static char ByteToChar(byte value) => ByteToCharTable[value];

    /// <summary>
    /// The byte that character <paramref name="c"/> stands for, or -1 when <paramref name="c"/> is not
    /// one of the 256 characters of the map.
    /// </summary>
    public static int CharToByte(char c) => c <= MaxChar ? CharToByteTable[c] : -1;

    /// <summary>A copy of the whole map, indexed by byte value.</summary>
    public static char[] ToArray() => (char[])ByteToCharTable.Clone();

    private static char[] Build()
    {
        var table = new char[256];
        var printable = new bool[256];
        for (var b = '!'; b <= '~'; b++) printable[b] = true;
        for (var b = '¡'; b <= '¬'; b++) printable[b] = true;
        for (var b = '®'; b <= 'ÿ'; b++) printable[b] = true;
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            table[b] = printable[b] ? (char)b : (char)(256 + n++);
        }
        return table;
    }

    private static short[] Invert(char[] table)
    {
        var inverse = new short[MaxChar + 1];
        Array.Fill(inverse, (short)-1);
        for (var b = 0; b < table.Length; b++) inverse[table[b]] = (short)b;
        return inverse;
    }
}
