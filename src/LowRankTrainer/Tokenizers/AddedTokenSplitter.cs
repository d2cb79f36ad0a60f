namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Finds added tokens in raw text as Hugging Face's <c>AddedVocabulary</c> does for tokens with
/// <c>normalized=false</c> (an Aho–Corasick automaton in <c>LeftmostLongest</c> mode): scanning left to right,
/// the match that starts first wins, and among those starting there the longest; the scan resumes after it.
/// With <see cref="AddedToken.LeftStrip"/> the whitespace run before a match (back to the previous match) joins
/// it, with <see cref="AddedToken.RightStrip"/> the run after it; either way that whitespace is not encoded.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly AddedToken[] _tokens;
    private readonly HashSet<char> _firstChars = [];

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        // Longest first, so that the first match at a position is the longest there.
        _tokens = [.. tokens.DistinctBy(t => t.Content).OrderByDescending(t => t.Content.Length).ThenBy(t => t.Content, StringComparer.Ordinal)];
        foreach (var token in _tokens) _firstChars.Add(token.Content[0]);
    }

    public bool IsEmpty => _tokens.Length == 0;

    /// <summary>
    /// Appends to <paramref name="pieces"/>, in order, each non-empty stretch of text between matches (with a null
    /// token) and each match (with its token; its range includes any stripped whitespace).
    /// </summary>
    public void Split(ReadOnlySpan<char> input, List<(int Start, int Length, AddedToken? Token)> pieces)
    {
        var start = 0;
        var i = 0;
        while (i < input.Length)
        {
            var match = _firstChars.Contains(input[i]) ? MatchAt(input, i) : null;
            if (match is null)
            {
                i++;
                continue;
            }
            var matchStart = i;
            var stop = i + match.Content.Length;
            if (match.LeftStrip)
            {
                while (matchStart > start && IsWhitespaceBefore(input, matchStart, out var width)) matchStart -= width;
            }
            if (match.RightStrip)
            {
                while (stop < input.Length && IsWhitespaceAt(input, stop, out var width)) stop += width;
            }
            if (matchStart > start) pieces.Add((start, matchStart - start, null));
            pieces.Add((matchStart, stop - matchStart, match));
            start = i = stop;
        }
        if (start < input.Length) pieces.Add((start, input.Length - start, null));
    }

    private AddedToken? MatchAt(ReadOnlySpan<char> input, int i)
    {
        foreach (var token in _tokens)
        {
            if (input[i..].StartsWith(token.Content, StringComparison.Ordinal)) return token;
        }
        return null;
    }

    private static bool IsWhitespaceAt(ReadOnlySpan<char> input, int i, out int width)
    {
        width = char.IsHighSurrogate(input[i]) && i + 1 < input.Length && char.IsLowSurrogate(input[i + 1]) ? 2 : 1;
        return width == 1 && BertUnicode.IsWhitespace(input[i]);
    }

    private static bool IsWhitespaceBefore(ReadOnlySpan<char> input, int end, out int width)
    {
        width = end >= 2 && char.IsLowSurrogate(input[end - 1]) && char.IsHighSurrogate(input[end - 2]) ? 2 : 1;
        return width == 1 && BertUnicode.IsWhitespace(input[end - 1]);
    }
}
