namespace LowRankTrainer.Tokenizers;

/// <summary>
/// The text normalisation of BERT's basic tokenizer (Devlin et al. 2019; google-research/bert
/// <c>tokenization.py</c>, <c>BasicTokenizer</c>) with the exact semantics of Hugging Face's <c>BertNormalizer</c>
/// (Rust <c>tokenizers</c>, <c>normalizers/bert.rs</c>), whose four steps run in this order on each code point:
/// <list type="number">
/// <item><b>clean_text</b>: U+0000, U+FFFD and control characters (HF's <c>is_control</c>: categories Cc, Cf, Co
/// of its Unicode tables, tab, LF and CR excepted) are removed; whitespace (tab, LF, CR and Unicode White_Space)
/// becomes U+0020. A lone UTF-16 surrogate counts as U+FFFD (a Rust string cannot hold one; HF's bindings
/// replace it so), and is therefore removed.</item>
/// <item><b>handle_chinese_chars</b>: a space on each side of every CJK ideograph (<see cref="BertUnicode.IsChinese"/>),
/// so that each becomes a word of its own.</item>
/// <item><b>strip_accents</b> (when null, it follows lowercase, as in HF): canonical decomposition (NFD), then
/// every nonspacing mark (Mn) is dropped: "Café" → "Cafe".</item>
/// <item><b>lowercase</b>: Rust's <c>char::to_lowercase</c> per code point.</item>
/// </list>
/// The character tables are HF's own (<see cref="BertUnicodeTables"/>). One difference remains by design: NFD's
/// canonical reordering is not done, which can only matter for two combining marks of different classes that
/// survive strip_accents (are not Mn) and stand out of canonical order.
/// </summary>
public sealed class BertNormalizer
{
    /// <summary>Creates a normaliser with HF's defaults (all on; strip_accents following lowercase).</summary>
    public BertNormalizer(bool cleanText = true, bool handleChineseChars = true, bool? stripAccents = null, bool lowercase = true)
    {
        CleanText = cleanText;
        HandleChineseChars = handleChineseChars;
        StripAccents = stripAccents ?? lowercase;
        Lowercase = lowercase;
    }

    /// <summary>Whether control characters are removed and whitespace becomes U+0020.</summary>
    public bool CleanText { get; }

    /// <summary>Whether CJK ideographs get a space on each side.</summary>
    public bool HandleChineseChars { get; }

    /// <summary>Whether accents are stripped (NFD, then Mn removed); resolved from lowercase when constructed with null.</summary>
    public bool StripAccents { get; }

    /// <summary>Whether the text is lowercased.</summary>
    public bool Lowercase { get; }

    /// <summary>The normalised form of <paramref name="text"/>.</summary>
    public string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new CharBuffer(text.Length + 16);
        Normalize(text, buffer, new CharBuffer(8));
        return buffer.ToString();
    }

    /// <summary>Appends the normalised form of <paramref name="text"/> to <paramref name="output"/>; <paramref name="scratch"/> is working space.</summary>
    internal void Normalize(ReadOnlySpan<char> text, CharBuffer output, CharBuffer scratch)
    {
        for (var i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsSurrogate((char)cp))
            {
                if (char.IsHighSurrogate((char)cp) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    cp = char.ConvertToUtf32((char)cp, text[++i]);
                }
                else
                {
                    cp = 0xFFFD;
                }
            }
            // The common case first: printable ASCII other than a letter to lowercase passes unchanged.
            if (cp is >= 0x20 and < 0x7F && !(Lowercase && cp is >= 'A' and <= 'Z'))
            {
                output.Append((char)cp);
                continue;
            }
            if (CleanText)
            {
                if (cp == 0 || cp == 0xFFFD || BertUnicode.IsControl(cp)) continue;
                if (cp is '\t' or '\n' or '\r' || BertUnicode.IsWhitespace(cp)) cp = ' ';
            }
            var chinese = HandleChineseChars && BertUnicode.IsChinese(cp);
            if (chinese) output.Append(' ');
            if (!StripAccents && !Lowercase)
            {
                output.AppendCodePoint(cp);
            }
            else
            {
                scratch.Clear();
                if (StripAccents) BertUnicode.Decompose(cp, scratch, dropNonspacing: true);
                else scratch.AppendCodePoint(cp);
                if (!Lowercase)
                {
                    output.Append(scratch.Span);
                }
                else
                {
                    var parts = scratch.Span;
                    for (var k = 0; k < parts.Length; k++)
                    {
                        int part = parts[k];
                        if (char.IsHighSurrogate(parts[k]) && k + 1 < parts.Length) part = char.ConvertToUtf32(parts[k], parts[++k]);
                        BertUnicode.AppendLower(part, output);
                    }
                }
            }
            if (chinese) output.Append(' ');
        }
    }
}
