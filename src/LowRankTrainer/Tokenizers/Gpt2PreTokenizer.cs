using System.Globalization;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// GPT-2's pre-tokenizer: splits text into the pieces that byte-level BPE then encodes one by one.
/// It is the regular expression of OpenAI's <c>gpt-2/src/encoder.py</c>,
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>, with the
/// semantics of the JavaScript reference (npm <c>gpt-3-encoder</c>, <c>Encoder.js</c>), which runs it
/// as a JavaScript regular expression with the <c>/gu</c> flags.
/// </summary>
/// <remarks>
/// <para>The pattern is matched by hand, one alternative after the other at each position, rather than
/// with <see cref="System.Text.RegularExpressions.Regex"/>, because .NET's regex differs from the
/// JavaScript one here in two ways: it works on UTF-16 code units, so letters and digits outside the
/// BMP (CJK Extension B, mathematical alphanumerics) would not match <c>\p{L}</c>/<c>\p{N}</c>, while
/// JavaScript's <c>/u</c> mode matches whole code points; and its <c>\s</c> includes U+0085 but not
/// U+FEFF, where JavaScript's is the reverse.</para>
/// <para>Classes, on code points: <b>whitespace</b> is JavaScript's <c>\s</c> (tab, LF, VT, FF, CR,
/// space, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF); <b>letter</b>
/// is general category L (Lu, Ll, Lt, Lm, Lo); <b>number</b> is category N (Nd, Nl, No); everything
/// else (punctuation, symbols, emoji, combining marks, controls) is <b>other</b>. The contractions are
/// case-sensitive, so <c>'S</c> or <c>'LL</c> are not split off. The optional leading space is U+0020
/// only. <c>\s+(?!\S)</c> takes a whitespace run but, when a non-space follows, leaves its last
/// character to prefix the next word; a single whitespace character before a non-space is a piece of
/// its own (<c>\s+</c>).</para>
/// <para>Categories come from .NET's Unicode tables (<see cref="CharUnicodeInfo"/>). Node's ICU may
/// implement a newer Unicode version: against node 20 with Unicode 17.0, 4,657 code points differ, every
/// one of them unassigned in .NET 10's tables; all other code points classify as in node (checked over
/// U+0000..U+10FFFF by the tests, from the fixture's <c>char_classes.json</c>). Text using characters
/// assigned only in the newest Unicode version may therefore split differently from the reference.</para>
/// </remarks>
public static class Gpt2PreTokenizer
{
    /// <summary>The pieces of <paramref name="text"/>, in order; their concatenation is <paramref name="text"/>.</summary>
    public static List<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = new List<string>();
        Split(text, (start, length) => pieces.Add(text.Substring(start, length)));
        return pieces;
    }

    /// <summary>
    /// Calls <paramref name="onPiece"/> with the start and length (in UTF-16 code units) of every piece of
    /// <paramref name="text"/>, in order.
    /// </summary>
    public static void Split(string text, Action<int, int> onPiece)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(onPiece);
        var i = 0;
        while (i < text.Length)
        {
            var length = MatchLength(text, i);
            onPiece(i, length);
            i += length;
        }
    }

    /// <summary>The length of the match that starts at <paramref name="i"/> (always at least one code point).</summary>
    internal static int MatchLength(string text, int i)
    {
        // 's|'t|'re|'ve|'m|'ll|'d
        if (text[i] == '\'' && i + 1 < text.Length)
        {
            var c1 = text[i + 1];
            if (c1 is 's' or 't' or 'm' or 'd') return 2;
            if (i + 2 < text.Length)
            {
                var c2 = text[i + 2];
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
            }
        }

        var first = ClassAt(text, i, out var firstLength);
        if (first == Gpt2CharClass.Whitespace)
        {
            // " ?X+" with the space: a U+0020 followed by a letter, number or other run.
            if (text[i] == ' ' && i + 1 < text.Length)
            {
                var next = ClassAt(text, i + 1, out _);
                if (next != Gpt2CharClass.Whitespace) return 1 + RunLength(text, i + 1, next);
            }
            // \s+(?!\S) then \s+
            var run = 0;
            var count = 0;
            var lastLength = 0;
            while (i + run < text.Length && ClassAt(text, i + run, out var w) == Gpt2CharClass.Whitespace)
            {
                run += w;
                lastLength = w;
                count++;
            }
            if (i + run == text.Length || count == 1) return run;
            return run - lastLength;
        }
        return RunLength(text, i, first);
    }

    private static int RunLength(string text, int i, Gpt2CharClass cls)
    {
        var end = i;
        while (end < text.Length && ClassAt(text, end, out var w) == cls) end += w;
        return end - i;
    }

    private static Gpt2CharClass ClassAt(string text, int i, out int width)
    {
        var c = text[i];
        if (c < 0x80)
        {
            width = 1;
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z') return Gpt2CharClass.Letter;
            if (c is >= '0' and <= '9') return Gpt2CharClass.Number;
            if (c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r') return Gpt2CharClass.Whitespace;
            return Gpt2CharClass.Other;
        }
        int codePoint;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            codePoint = char.ConvertToUtf32(c, text[i + 1]);
            width = 2;
        }
        else
        {
            codePoint = c; // a BMP character, or a lone surrogate (category Cs: other), as in JavaScript
            width = 1;
        }
        return Classify(codePoint);
    }

    /// <summary>The class of <paramref name="codePoint"/> in the pre-tokenizer's pattern (see the remarks of <see cref="Gpt2PreTokenizer"/>).</summary>
    public static Gpt2CharClass Classify(int codePoint)
    {
        if (IsJsWhitespace(codePoint)) return Gpt2CharClass.Whitespace;
        return CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Gpt2CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Gpt2CharClass.Number,
            _ => Gpt2CharClass.Other,
        };
    }

    /// <summary>JavaScript's <c>\s</c> (ECMA-262 WhiteSpace and LineTerminator), on code points.</summary>
    internal static bool IsJsWhitespace(int codePoint) => codePoint switch
    {
        '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00A0' or '\u1680' or '\u2028' or '\u2029'
            or '\u202F' or '\u205F' or '\u3000' or '\uFEFF' => true,
        >= 0x2000 and <= 0x200A => true,
        _ => false,
    };
}
