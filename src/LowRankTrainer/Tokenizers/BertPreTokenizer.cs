namespace LowRankTrainer.Tokenizers;

/// <summary>
/// The word split of BERT's basic tokenizer (Devlin et al. 2019; <c>BasicTokenizer._run_split_on_punc</c>) with
/// the semantics of Hugging Face's <c>BertPreTokenizer</c> (Rust <c>tokenizers</c>, <c>pre_tokenizers/bert.rs</c>):
/// whitespace (Rust's <c>char::is_whitespace</c>) separates words and is dropped; every punctuation character
/// (ASCII 33–47, 58–64, 91–96, 123–126, and Unicode P* by HF's tables) is a word of its own.
/// </summary>
public static class BertPreTokenizer
{
    /// <summary>The words of <paramref name="text"/> as (start, length) ranges of UTF-16 code units, in order.</summary>
    public static List<(int Start, int Length)> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<(int, int)>();
        Split(text, words);
        return words;
    }

    /// <summary>Appends the words of <paramref name="text"/> to <paramref name="words"/>.</summary>
    public static void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var start = -1;
        for (var i = 0; i < text.Length;)
        {
            int cp = text[i];
            var width = 1;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                width = 2;
            }
            // ASCII letters and digits are the common case: neither whitespace nor punctuation.
            var letterOrDigit = cp is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');
            if (!letterOrDigit && (BertUnicode.IsWhitespace(cp) || BertUnicode.IsPunctuation(cp)))
            {
                if (start >= 0) words.Add((start, i - start));
                start = -1;
                if (!BertUnicode.IsWhitespace(cp)) words.Add((i, width));
            }
            else if (start < 0)
            {
                start = i;
            }
            i += width;
        }
        if (start >= 0) words.Add((start, text.Length - start));
    }
}
