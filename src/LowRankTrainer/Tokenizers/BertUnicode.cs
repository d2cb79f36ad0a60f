using System.Text;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Character classes of BERT's basic tokenizer (Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional
/// Transformers for Language Understanding"; google-research/bert <c>tokenization.py</c>) as Hugging Face's Rust
/// <c>tokenizers</c> defines them, over <see cref="BertUnicodeTables"/>. The Basic Multilingual Plane is looked up
/// in a 64 KiB flag table built once; astral code points by binary search.
/// </summary>
internal static class BertUnicode
{
    private const byte ControlFlag = 1, PunctuationFlag = 2, NonspacingFlag = 4, DecomposesFlag = 8, WhitespaceFlag = 16, ChineseFlag = 32;

    private static readonly byte[] Bmp = BuildBmp();
    private static readonly Dictionary<int, int> DecompositionStart = BuildDecompositionIndex();
    private static readonly int[] DecompositionData = BertUnicodeTables.Decompositions.ToArray();

    /// <summary>Removed by clean_text: U+0000, U+FFFD and HF's control characters (tab, LF and CR are whitespace instead).</summary>
    public static bool IsControl(int cp) => cp < 0x10000 ? (Bmp[cp] & ControlFlag) != 0 : InRanges(BertUnicodeTables.Control, cp);

    /// <summary>Isolated by the pre-tokenizer: ASCII punctuation (33–47, 58–64, 91–96, 123–126) and Unicode P*.</summary>
    public static bool IsPunctuation(int cp) => cp < 0x10000 ? (Bmp[cp] & PunctuationFlag) != 0 : InRanges(BertUnicodeTables.Punctuation, cp);

    /// <summary>Dropped by strip_accents after NFD (category Mn).</summary>
    public static bool IsNonspacingMark(int cp) => cp < 0x10000 ? (Bmp[cp] & NonspacingFlag) != 0 : InRanges(BertUnicodeTables.Nonspacing, cp);

    /// <summary>Rust's <c>char::is_whitespace</c> (the Unicode White_Space property), which both BERT stages use.</summary>
    public static bool IsWhitespace(int cp) => cp < 0x10000 && (Bmp[cp] & WhitespaceFlag) != 0;

    /// <summary>
    /// BERT's "Chinese character": the CJK Unified Ideographs blocks and their extensions A–E and the compatibility
    /// ideographs, as in BERT's <c>_is_chinese_char</c> (Hangul, Hiragana and Katakana are not among them).
    /// </summary>
    public static bool IsChinese(int cp) => cp < 0x10000
        ? (Bmp[cp] & ChineseFlag) != 0
        : cp is (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F)
            or (>= 0x2B920 and <= 0x2CEAF) or (>= 0x2F800 and <= 0x2FA1F);

    /// <summary>Appends the full canonical decomposition (NFD) of <paramref name="cp"/> to <paramref name="output"/>,
    /// or <paramref name="cp"/> itself when it has none. Hangul syllables decompose arithmetically (Unicode §3.12).</summary>
    public static void Decompose(int cp, CharBuffer output, bool dropNonspacing)
    {
        if (cp is >= 0xAC00 and <= 0xD7A3)
        {
            var s = cp - 0xAC00;
            output.Append((char)(0x1100 + s / 588));
            output.Append((char)(0x1161 + s % 588 / 28));
            if (s % 28 != 0) output.Append((char)(0x11A7 + s % 28));
            return;
        }
        if ((cp >= 0x10000 || (Bmp[cp] & DecomposesFlag) != 0) && DecompositionStart.TryGetValue(cp, out var start))
        {
            var count = DecompositionData[start + 1];
            for (var k = 0; k < count; k++)
            {
                var part = DecompositionData[start + 2 + k];
                if (!dropNonspacing || !IsNonspacingMark(part)) output.AppendCodePoint(part);
            }
            return;
        }
        if (!dropNonspacing || !IsNonspacingMark(cp)) output.AppendCodePoint(cp);
    }

    /// <summary>The lowercase of <paramref name="cp"/> as Rust's <c>char::to_lowercase</c> gives it: the simple
    /// mapping, except U+0130 (İ), whose full mapping is "i̇" (U+0069 U+0307).</summary>
    public static void AppendLower(int cp, CharBuffer output)
    {
        if (cp < 0x80)
        {
            output.Append(cp is >= 'A' and <= 'Z' ? (char)(cp + 32) : (char)cp);
        }
        else if (cp == 0x130)
        {
            output.Append('i');
            output.Append('\u0307');
        }
        else if (cp < 0x10000)
        {
            output.Append(char.ToLowerInvariant((char)cp));
        }
        else
        {
            output.AppendCodePoint(Rune.ToLowerInvariant(new Rune(cp)).Value);
        }
    }

    private static bool InRanges(ReadOnlySpan<int> ranges, int cp)
    {
        int lo = 0, hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    private static byte[] BuildBmp()
    {
        var flags = new byte[0x10000];
        Mark(flags, BertUnicodeTables.Control, ControlFlag);
        Mark(flags, BertUnicodeTables.Punctuation, PunctuationFlag);
        Mark(flags, BertUnicodeTables.Nonspacing, NonspacingFlag);
        var d = BertUnicodeTables.Decompositions;
        for (var i = 0; i < d.Length; i += 2 + d[i + 1])
        {
            if (d[i] < 0x10000) flags[d[i]] |= DecomposesFlag;
        }
        int[] whitespace = [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000];
        foreach (var cp in whitespace) flags[cp] |= WhitespaceFlag;
        for (var cp = 0x2000; cp <= 0x200A; cp++) flags[cp] |= WhitespaceFlag;
        for (var cp = 0x4E00; cp <= 0x9FFF; cp++) flags[cp] |= ChineseFlag;
        for (var cp = 0x3400; cp <= 0x4DBF; cp++) flags[cp] |= ChineseFlag;
        for (var cp = 0xF900; cp <= 0xFAFF; cp++) flags[cp] |= ChineseFlag;
        return flags;
    }

    private static void Mark(byte[] flags, ReadOnlySpan<int> ranges, byte flag)
    {
        for (var i = 0; i < ranges.Length; i += 2)
        {
            for (var cp = ranges[i]; cp <= Math.Min(ranges[i + 1], 0xFFFF); cp++) flags[cp] |= flag;
        }
    }

    private static Dictionary<int, int> BuildDecompositionIndex()
    {
        var d = BertUnicodeTables.Decompositions;
        var index = new Dictionary<int, int>(2100);
        for (var i = 0; i < d.Length; i += 2 + d[i + 1]) index[d[i]] = i;
        return index;
    }
}
