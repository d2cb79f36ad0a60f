namespace LowRankTrainer.Tokenizers;

/// <summary>
/// The <see cref="ITextTokenizer.Encode(string)"/> / <see cref="ITextTokenizer.Encode(string, int)"/> pair on top of a
/// tokenizer's own loop, which appends ids and stops once it holds at least <c>limit</c> of them (the last piece may
/// overshoot, so the result is trimmed here).
/// </summary>
internal static class PrefixEncoder
{
    /// <summary>Appends the ids of a text to a list, stopping once the list holds at least the limit.</summary>
    public delegate void EncodeInto(string text, List<int> ids, int limit);

    /// <summary>The first <paramref name="maxTokens"/> ids of <paramref name="text"/> (all of them with <see cref="int.MaxValue"/>).</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxTokens">How many ids to keep.</param>
    /// <param name="charsPerToken">A typical ratio, to size the list once.</param>
    /// <param name="encodeInto">The tokenizer's loop.</param>
    public static int[] Encode(string text, int maxTokens, int charsPerToken, EncodeInto encodeInto)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var ids = new List<int>(Math.Min(maxTokens, text.Length / charsPerToken + 4));
        encodeInto(text, ids, maxTokens);
        return ids.Count > maxTokens ? [.. ids.GetRange(0, maxTokens)] : [.. ids];
    }
}
